"""Test-side group and membership events: bot added/kicked, migration, anonymous admins.

These are the situations where bots typically break in production (a group turns
into a supergroup and its id changes; an anonymous admin has no real ``from``), so
they get first-class helpers that emit exactly the updates Telegram sends.
"""

from __future__ import annotations

from typing import Any

from fake_telegram.actions import command_entity
from fake_telegram.methods.chats import STATUSES, chat_member_payload
from fake_telegram.models import GROUP_ANONYMOUS_BOT, ChatRecord, FakeUser
from fake_telegram.state import BotState


class GroupEventsMixin:
    """Group lifecycle helpers (mixed into the server)."""

    state: BotState

    def set_member_status(self, chat_id: int, user: FakeUser | int, status: str) -> None:
        """Set what getChatMember reports (``user`` may be the bot's id)."""
        if status not in STATUSES:
            raise ValueError(f"unknown status {status!r}; use one of {STATUSES}")
        chat = self.state.chats[chat_id]
        if isinstance(user, FakeUser):
            self.state.register_user(user)
            user_id = user.id
        else:
            user_id = user
        if user_id == self.state.bot.id:
            chat.bot_status = status
        else:
            chat.member_status[user_id] = status

    def _my_chat_member(
        self, chat: ChatRecord, by_user: FakeUser, old: str, new: str
    ) -> dict[str, Any]:
        bot = self.state.bot.to_dict()
        event = {
            "chat": chat.to_dict(),
            "from": by_user.to_dict(),
            "date": int(self.state.now()),
            "old_chat_member": chat_member_payload(bot, old),
            "new_chat_member": chat_member_payload(bot, new),
        }
        return self.state.push_update({"my_chat_member": event})

    def bot_added_to_group(
        self,
        chat_id: int,
        by_user: FakeUser,
        title: str | None = None,
        type: str = "supergroup",
        status: str = "member",
    ) -> dict[str, Any]:
        """The bot is added to a group: a ``my_chat_member`` update (left -> member)."""
        state = self.state
        state.register_user(by_user)
        chat = state.chats.get(chat_id)
        old = "left"
        if chat is None:
            chat = state.add_group(chat_id, title or f"Group {-chat_id}", type=type)
        elif chat.bot_status in ("left", "kicked"):
            old = chat.bot_status
        chat.bot_status = status
        return self._my_chat_member(chat, by_user, old, status)

    def bot_kicked_from_group(self, chat_id: int, by_user: FakeUser) -> dict[str, Any]:
        """An admin removes the bot: later sends get 403 "bot was kicked"."""
        chat = self.state.chats[chat_id]
        self.state.register_user(by_user)
        old = chat.bot_status
        chat.bot_status = "kicked"
        return self._my_chat_member(chat, by_user, old, "kicked")

    def user_blocks_bot(self, user: FakeUser) -> dict[str, Any]:
        """The user blocks the bot: ``my_chat_member`` (member -> kicked) + 403 on sends."""
        chat = self.state.chats[self.state.register_user(user).id]
        chat.blocked_by_user = True
        return self._my_chat_member(chat, user, "member", "kicked")

    def user_unblocks_bot(self, user: FakeUser) -> dict[str, Any]:
        """The user unblocks the bot (kicked -> member)."""
        chat = self.state.chats[self.state.register_user(user).id]
        chat.blocked_by_user = False
        return self._my_chat_member(chat, user, "kicked", "member")

    def migrate_group(
        self, old_chat_id: int, new_chat_id: int, by_user: FakeUser | None = None
    ) -> list[dict[str, Any]]:
        """Upgrade a group to a supergroup, emitting both service messages.

        The old chat gets ``migrate_to_chat_id`` (from the upgrading user), the new
        supergroup gets ``migrate_from_chat_id`` (from GroupAnonymousBot with
        ``sender_chat``).  Afterwards any call addressed to the old id fails with 400
        "group chat was upgraded to a supergroup chat" and ``migrate_to_chat_id``.
        """
        state = self.state
        old = state.chats.get(old_chat_id)
        if old is None:
            old = state.add_group(old_chat_id, f"Group {-old_chat_id}", type="group")
        if old.type != "group":
            raise ValueError("only basic groups (type='group') can be migrated")
        new = state.add_group(new_chat_id, old.title or str(new_chat_id), type="supergroup")
        new.bot_status = old.bot_status
        new.member_status.update(old.member_status)
        sender = by_user.to_dict() if by_user is not None else dict(GROUP_ANONYMOUS_BOT)
        if by_user is not None:
            state.register_user(by_user)
        to_msg = state.new_message(old, sender)
        to_msg["migrate_to_chat_id"] = new_chat_id
        updates = [state.receive(old, to_msg)]
        old.migrated_to = new_chat_id
        from_msg = state.new_message(new, dict(GROUP_ANONYMOUS_BOT), sender_chat=new.to_dict())
        from_msg["migrate_from_chat_id"] = old_chat_id
        updates.append(state.receive(new, from_msg))
        return updates

    def send_as_anonymous_admin(
        self, chat_id: int, text: str, message_thread_id: int | None = None
    ) -> dict[str, Any]:
        """A message by an anonymous admin: from GroupAnonymousBot, sender_chat = group."""
        state = self.state
        chat = state.chats.get(chat_id)
        if chat is None or chat.type == "private":
            raise ValueError(f"chat {chat_id} is not a known group; call add_group() first")
        data = state.new_message(
            chat,
            dict(GROUP_ANONYMOUS_BOT),
            message_thread_id=message_thread_id,
            sender_chat=chat.to_dict(),
        )
        data["text"] = text
        command = command_entity(text)
        if command:
            data["entities"] = [command]
        return state.receive(chat, data)
