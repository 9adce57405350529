"""Everything the fake Telegram "remembers": users, chats, messages, files, updates.

One :class:`BotState` per server.  All lookups are dict-based so that a benchmark
sending tens of thousands of messages stays O(1) per call.  The state is only
touched from the server's event loop (aiohttp handlers and test-side actions run
on the same loop), so no locking is needed.
"""

from __future__ import annotations

import asyncio
import itertools
import time
from collections import deque
from collections.abc import Callable
from typing import Any

from fake_telegram.errors import bad_request, chat_not_found, forbidden, migrated
from fake_telegram.files import FileStore
from fake_telegram.models import BotProfile, CallbackAnswer, ChatRecord, FakeUser, StoredMessage


class BotState:
    """The world as seen by one fake bot."""

    def __init__(self, bot: BotProfile, *, strict_ampersand: bool = True) -> None:
        self.bot = bot
        self.strict_ampersand = strict_ampersand
        self.users: dict[int, FakeUser] = {}
        self.chats: dict[int, ChatRecord] = {}
        self.files = FileStore()
        self.updates: deque[dict[str, Any]] = deque()
        self.next_update_id = 1
        self.last_delivered_update_id = 0
        self.update_event = asyncio.Event()
        #: Incremented by every getUpdates; an older long poll seeing a newer
        #: generation ends with 409 like Telegram's "terminated by other getUpdates".
        self.poll_generation = 0
        self.callback_queries: dict[str, CallbackAnswer | None] = {}
        self.commands: dict[tuple[str, str], list[dict[str, Any]]] = {}
        self.profile: dict[str, str] = {}
        self.webhook_url = ""
        #: What the last setWebhook asked for besides the url ("" / None when unset).
        self.webhook_secret_token = ""
        self.webhook_allowed_updates: list[str] | None = None
        self.chat_actions: list[tuple[int | str, str]] = []
        self.reactions: dict[tuple[int, int], list[dict[str, Any]]] = {}
        self.left_chats: list[int] = []
        #: Seconds since the epoch for message dates; a sandbox may hand in a movable clock.
        self.now: Callable[[], float] = time.time
        self._callback_counter = itertools.count(1)
        self._media_group_counter = itertools.count(13_000_000_000_000_001)

    # --------------------------------------------------------------------- users
    def register_user(self, user: FakeUser) -> FakeUser:
        """Remember a user; their private chat becomes reachable for the bot."""
        self.users[user.id] = user
        chat = self.chats.get(user.id)
        if chat is None:
            self.chats[user.id] = ChatRecord(id=user.id, type="private", user=user)
        else:
            chat.user = user
        return user

    def register_user_id(self, user_id: int) -> ChatRecord:
        """Make a private chat exist for a bare user id (placeholder name)."""
        user = self.users.get(user_id) or FakeUser(id=user_id, first_name=f"User{user_id}")
        self.register_user(user)
        return self.chats[user_id]

    # --------------------------------------------------------------------- chats
    def add_group(
        self,
        chat_id: int,
        title: str,
        type: str = "supergroup",
        is_forum: bool = False,
        username: str | None = None,
    ) -> ChatRecord:
        """Create (or update) a group, supergroup or channel the bot is already a member of
        (no update is sent)."""
        if chat_id >= 0:
            raise ValueError("group and channel ids are negative in the Bot API")
        if type not in ("group", "supergroup", "channel"):
            raise ValueError(f"unsupported chat type {type!r}")
        chat = self.chats.get(chat_id)
        if chat is None:
            chat = ChatRecord(id=chat_id, type=type, title=title)
            self.chats[chat_id] = chat
        chat.type, chat.title, chat.is_forum, chat.username = type, title, is_forum, username
        return chat

    def require_chat(self, chat_id: Any) -> ChatRecord:
        """Resolve ``chat_id`` (int or ``@username``) or raise "chat not found"."""
        if chat_id is None or chat_id == "":
            raise bad_request("chat_id is empty")
        if isinstance(chat_id, str):
            if chat_id.startswith("@"):
                wanted = chat_id[1:].lower()
                for named in self.chats.values():
                    if named.type != "private" and (named.username or "").lower() == wanted:
                        return named
                raise chat_not_found()
            try:
                chat_id = int(chat_id)
            except ValueError:
                raise chat_not_found() from None
        if not isinstance(chat_id, int) or isinstance(chat_id, bool):
            raise chat_not_found()
        chat = self.chats.get(chat_id)
        if chat is None:
            raise chat_not_found()
        if chat.migrated_to is not None:
            raise migrated(chat.migrated_to)
        return chat

    def chat_for_send(self, chat_id: Any) -> ChatRecord:
        """Resolve a chat the bot wants to post to, applying 403 conditions."""
        chat = self.require_chat(chat_id)
        if chat.type == "private":
            if chat.blocked_by_user:
                raise forbidden("bot was blocked by the user")
            if chat.user is not None and chat.user.is_bot:
                raise forbidden("bot can't send messages to bots")
            if chat.user is not None and chat.member_status.get(chat.user.id) == "deactivated":
                raise forbidden("user is deactivated")
            return chat
        kind = "group" if chat.type == "group" else chat.type
        if chat.type == "channel":
            if chat.bot_status not in ("administrator", "creator"):
                raise forbidden("bot is not a member of the channel chat")
            return chat
        if chat.bot_status == "kicked":
            raise forbidden(f"bot was kicked from the {kind} chat")
        if chat.bot_status == "left":
            raise forbidden(f"bot is not a member of the {kind} chat")
        return chat

    def member_status(self, chat: ChatRecord, user_id: int) -> str:
        """Membership of ``user_id`` in ``chat`` (defaults to ``member``)."""
        if user_id == self.bot.id:
            return chat.bot_status
        return chat.member_status.get(user_id, "member")

    # ------------------------------------------------------------------ messages
    def new_message(
        self,
        chat: ChatRecord,
        sender: dict[str, Any],
        *,
        message_thread_id: int | None = None,
        sender_chat: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        """Skeleton of a ``Message`` with the next id of ``chat``."""
        data: dict[str, Any] = {
            "message_id": chat.allocate_message_id(),
            "from": sender,
            "chat": chat.to_dict(),
            "date": int(self.now()),
        }
        if sender_chat is not None:
            data["sender_chat"] = sender_chat
        if message_thread_id is not None:
            data["message_thread_id"] = message_thread_id
            if chat.is_forum:
                data["is_topic_message"] = True
        return data

    def store(
        self,
        chat: ChatRecord,
        data: dict[str, Any],
        *,
        from_bot: bool,
        reply_markup: dict[str, Any] | None = None,
    ) -> StoredMessage:
        """Keep a message so it can be edited, pressed, copied or asserted on."""
        message = StoredMessage(
            chat_id=chat.id,
            message_id=int(data["message_id"]),
            data=data,
            from_bot=from_bot,
            reply_markup=reply_markup,
        )
        chat.messages[message.message_id] = message
        if from_bot:
            chat.bot_message_ids.append(message.message_id)
        return message

    def find_message(self, chat_id: int, message_id: Any) -> StoredMessage | None:
        """A non-deleted message by chat and id, or ``None``."""
        chat = self.chats.get(chat_id)
        if chat is None or not isinstance(message_id, int):
            return None
        message = chat.messages.get(message_id)
        if message is None or message.deleted:
            return None
        return message

    # ------------------------------------------------------------------- updates
    def push_update(self, payload: dict[str, Any]) -> dict[str, Any]:
        """Queue an update for getUpdates; ``update_id`` is assigned if missing."""
        update = {"update_id": payload.get("update_id", self.next_update_id), **payload}
        self.next_update_id = max(self.next_update_id, int(update["update_id"])) + 1
        self.updates.append(update)
        self.update_event.set()
        return update

    def receive(self, chat: ChatRecord, data: dict[str, Any]) -> dict[str, Any]:
        """A message someone other than the bot sent to ``chat``: stored, and queued as a
        ``message`` update (returned)."""
        self.store(chat, data, from_bot=False)
        return self.push_update({"message": data})

    def confirm_updates(self, offset: int) -> None:
        """Telegram semantics: an ``offset`` forgets every update with a smaller id.

        A negative offset keeps only the last ``-offset`` updates.
        """
        updates = self.updates
        if offset < 0:
            keep = -offset
            while len(updates) > keep:
                updates.popleft()
            return
        while updates and int(updates[0]["update_id"]) < offset:
            updates.popleft()

    def peek_updates(self, limit: int) -> list[dict[str, Any]]:
        """Up to ``limit`` pending updates (not removed until confirmed)."""
        taken = list(itertools.islice(self.updates, limit))
        if taken:
            self.last_delivered_update_id = max(
                self.last_delivered_update_id, int(taken[-1]["update_id"])
            )
        return taken

    # ----------------------------------------------------------------- callbacks
    def new_callback_id(self) -> str:
        """Callback query ids are opaque strings in the Bot API."""
        return f"{self.bot.id}{next(self._callback_counter):010d}"

    def new_media_group_id(self) -> str:
        """Media group ids are opaque numeric strings."""
        return str(next(self._media_group_counter))


def scope_key(scope: Any) -> str:
    """Canonical key for a BotCommandScope so lookups ignore key order."""
    if not scope:
        return "default"
    if not isinstance(scope, dict):
        raise bad_request("can't parse BotCommandScope JSON object")
    kind = scope.get("type", "default")
    parts = [str(kind)]
    for key in ("chat_id", "user_id"):
        if key in scope:
            parts.append(f"{key}={scope[key]}")
    return ":".join(parts)
