"""Test-side actions: what users do, turned into queued updates.

Each action builds the update Telegram would send, stores user messages in the
chat (so message ids interleave with the bot's like in real chats, and the bot can
copy/forward/reply to them), queues it for getUpdates and returns the update dict.
All actions are synchronous and must run on the server's event loop.
"""

from __future__ import annotations

import itertools
import re
from enum import Enum
from typing import Any

from fake_telegram.keyboards import find_button
from fake_telegram.media import guess_mime, make_jpeg
from fake_telegram.models import CallbackAnswer, ChatRecord, FakeUser, FileDetails, StoredMessage
from fake_telegram.payloads import file_payload
from fake_telegram.state import BotState
from fake_telegram.text_units import utf16_len

_COMMAND_RE = re.compile(r"^/[A-Za-z0-9_]{1,32}(?:@[A-Za-z0-9_]{3,64})?(?=\s|$)")

MessageRef = StoredMessage | dict[str, Any] | int


def command_entity(text: str) -> dict[str, Any] | None:
    """The ``bot_command`` entity Telegram marks on a leading ``/command[@bot]``, if any."""
    match = _COMMAND_RE.match(text)
    if match is None:
        return None
    return {"type": "bot_command", "offset": 0, "length": utf16_len(match.group(0))}


class _Self(Enum):
    """Sentinel type: "the sending user's own id" for send_contact."""

    USER = "user"


SELF = _Self.USER


class UserActionsMixin:
    """Actions by users in private chats and groups (mixed into the server)."""

    state: BotState
    _user_ids = itertools.count(100_000_001)

    # ------------------------------------------------------------------ users
    def user(
        self,
        id: int | None = None,
        first_name: str | None = None,
        last_name: str | None = None,
        username: str | None = None,
        language_code: str | None = "zh-hans",
        is_bot: bool = False,
    ) -> FakeUser:
        """Create and register a user (ids are allocated when not given)."""
        user_id = id if id is not None else next(self._user_ids)
        user = FakeUser(
            id=user_id,
            first_name=first_name or f"User{user_id}",
            last_name=last_name,
            username=username,
            language_code=language_code,
            is_bot=is_bot,
        )
        return self.state.register_user(user)

    # --------------------------------------------------------------- helpers
    def _chat_for(self, user: FakeUser, chat_id: int | None) -> ChatRecord:
        state = self.state
        state.register_user(user)
        if chat_id is None or chat_id == user.id:
            private = state.chats[user.id]
            # A user can only write to a bot they have not blocked.
            private.blocked_by_user = False
            return private
        chat = state.chats.get(chat_id)
        if chat is None or chat.type == "private":
            raise ValueError(f"chat {chat_id} is unknown to the fake; call add_group() first")
        if chat.migrated_to is not None:
            raise ValueError(f"chat {chat_id} was migrated to {chat.migrated_to}")
        return chat

    def _resolve(self, chat: ChatRecord, ref: MessageRef) -> StoredMessage:
        if isinstance(ref, StoredMessage):
            chat_id, message_id = ref.chat_id, ref.message_id
        elif isinstance(ref, dict):
            chat_id, message_id = int(ref["chat"]["id"]), int(ref["message_id"])
        else:
            chat_id, message_id = chat.id, int(ref)
        found = self.state.find_message(chat_id, message_id)
        if found is None:
            raise LookupError(f"message {message_id} not found in chat {chat_id}")
        return found

    def _compose(
        self,
        user: FakeUser,
        chat_id: int | None,
        *,
        message_thread_id: int | None = None,
        reply_to: MessageRef | None = None,
    ) -> tuple[ChatRecord, dict[str, Any]]:
        chat = self._chat_for(user, chat_id)
        data = self.state.new_message(chat, user.to_dict(), message_thread_id=message_thread_id)
        if reply_to is not None:
            target = self._resolve(chat, reply_to).data
            data["reply_to_message"] = {k: v for k, v in target.items() if k != "reply_to_message"}
        return chat, data

    # ------------------------------------------------------------- messages
    def send_text(
        self,
        user: FakeUser,
        text: str,
        chat_id: int | None = None,
        message_thread_id: int | None = None,
        reply_to: MessageRef | None = None,
        entities: list[dict[str, Any]] | None = None,
    ) -> dict[str, Any]:
        """A text message; a leading ``/command[@bot]`` gets a bot_command entity."""
        chat, data = self._compose(
            user, chat_id, message_thread_id=message_thread_id, reply_to=reply_to
        )
        data["text"] = text
        found = list(entities or [])
        command = command_entity(text)
        if command and not entities:
            found.append(command)
        if found:
            data["entities"] = found
        return self.state.receive(chat, data)

    def edit_text(self, user: FakeUser, message: MessageRef, text: str) -> dict[str, Any]:
        """The user edits one of their messages: an ``edited_message`` update."""
        stored = self._resolve(self._chat_for(user, None), message)
        new = {**stored.data, "text": text, "edit_date": int(self.state.now())}
        new.pop("entities", None)
        stored.history.append(stored.data)
        stored.data = new
        return self.state.push_update({"edited_message": new})

    def send_photo(
        self,
        user: FakeUser,
        chat_id: int | None = None,
        caption: str | None = None,
        media_group_id: str | None = None,
        data: bytes | None = None,
        *,
        message_thread_id: int | None = None,
        reply_to: MessageRef | None = None,
        width: int = 320,
        height: int = 240,
    ) -> dict[str, Any]:
        """A photo (a small valid JPEG unless ``data`` is given)."""
        chat, message = self._compose(
            user, chat_id, message_thread_id=message_thread_id, reply_to=reply_to
        )
        payload = data if data is not None else make_jpeg(width, height)
        stored = self.state.files.add(
            "photo", payload, FileDetails(width=width, height=height), extension="jpg"
        )
        message["photo"] = file_payload(stored)
        if caption:
            message["caption"] = caption
        if media_group_id:
            message["media_group_id"] = media_group_id
        return self.state.receive(chat, message)

    def send_album(
        self,
        user: FakeUser,
        n: int,
        caption: str | None = None,
        chat_id: int | None = None,
    ) -> list[dict[str, Any]]:
        """``n`` photo updates sharing one media_group_id; caption on the first."""
        if n < 1:
            raise ValueError("an album needs at least one photo")
        group_id = self.state.new_media_group_id()
        return [
            self.send_photo(
                user, chat_id=chat_id, caption=caption if i == 0 else None, media_group_id=group_id
            )
            for i in range(n)
        ]

    def send_document(
        self,
        user: FakeUser,
        data: bytes = b"%PDF-1.4\n% fake document\n",
        file_name: str = "document.pdf",
        mime_type: str | None = None,
        caption: str | None = None,
        chat_id: int | None = None,
        message_thread_id: int | None = None,
    ) -> dict[str, Any]:
        """A document with the given bytes and name."""
        chat, message = self._compose(user, chat_id, message_thread_id=message_thread_id)
        stored = self.state.files.add(
            "document",
            data,
            FileDetails(file_name=file_name, mime_type=mime_type or guess_mime(file_name, data)),
        )
        message["document"] = file_payload(stored)
        if caption:
            message["caption"] = caption
        return self.state.receive(chat, message)

    def send_sticker(
        self, user: FakeUser, emoji: str = "👍", chat_id: int | None = None
    ) -> dict[str, Any]:
        """A regular static sticker."""
        chat, message = self._compose(user, chat_id)
        stored = self.state.files.add(
            "sticker", b"RIFF\x00\x00\x00\x00WEBP", FileDetails(width=512, height=512)
        )
        message["sticker"] = file_payload(stored, emoji=emoji)
        return self.state.receive(chat, message)

    def send_voice(
        self,
        user: FakeUser,
        duration: int = 2,
        data: bytes | None = None,
        chat_id: int | None = None,
    ) -> dict[str, Any]:
        """A voice note (OGG/Opus-looking bytes)."""
        chat, message = self._compose(user, chat_id)
        payload = data if data is not None else b"OggS\x00\x02" + b"\x00" * 26
        stored = self.state.files.add(
            "voice", payload, FileDetails(mime_type="audio/ogg", duration=duration)
        )
        message["voice"] = file_payload(stored)
        return self.state.receive(chat, message)

    def send_location(
        self, user: FakeUser, latitude: float, longitude: float, chat_id: int | None = None
    ) -> dict[str, Any]:
        """A shared location."""
        chat, message = self._compose(user, chat_id)
        message["location"] = {"latitude": latitude, "longitude": longitude}
        return self.state.receive(chat, message)

    def send_contact(
        self,
        user: FakeUser,
        phone_number: str,
        contact_user_id: int | _Self | None = SELF,
        first_name: str | None = None,
        last_name: str | None = None,
        chat_id: int | None = None,
    ) -> dict[str, Any]:
        """A contact; by default the user's own (``request_contact`` button flow).

        Pass ``contact_user_id=None`` for a contact without a Telegram account, or
        another id for somebody else's contact.
        """
        chat, message = self._compose(user, chat_id)
        contact: dict[str, Any] = {
            "phone_number": phone_number,
            "first_name": first_name or user.first_name,
        }
        last = (
            last_name if last_name is not None else (user.last_name if first_name is None else None)
        )
        if last:
            contact["last_name"] = last
        if contact_user_id is SELF:
            contact["user_id"] = user.id
        elif contact_user_id is not None:
            contact["user_id"] = contact_user_id
        message["contact"] = contact
        return self.state.receive(chat, message)

    # ------------------------------------------------------------ callbacks
    def press(
        self,
        user: FakeUser,
        message: MessageRef,
        *,
        data: str | None = None,
        text: str | None = None,
    ) -> dict[str, Any]:
        """Press an inline button of a bot message, chosen by callback_data or text.

        The button is looked up in the message's *current* keyboard, so pressing
        a button that an edit removed raises :class:`LookupError`.
        """
        state = self.state
        state.register_user(user)
        if isinstance(message, int):
            raise TypeError("press() needs a StoredMessage or message dict; use press_raw()")
        stored = self._resolve(state.chats[user.id], message)
        button = find_button(stored.inline_keyboard, data=data, text=text)
        return self._callback(user, stored.data, button["callback_data"], stored.chat_id)

    def press_raw(self, user: FakeUser, chat_id: int, message_id: int, data: str) -> dict[str, Any]:
        """A callback with arbitrary (forged or stale) data for any message id."""
        state = self.state
        state.register_user(user)
        stored = state.find_message(chat_id, message_id)
        if stored is not None:
            message = stored.data
        else:
            chat = state.chats.get(chat_id)
            chat_dict = (
                chat.to_dict()
                if chat
                else {"id": chat_id, "type": "private" if chat_id > 0 else "supergroup"}
            )
            # What Telegram sends for a message the bot can no longer access.
            message = {"chat": chat_dict, "message_id": message_id, "date": 0}
        return self._callback(user, message, data, chat_id)

    def _callback(
        self, user: FakeUser, message: dict[str, Any], data: str, chat_id: int
    ) -> dict[str, Any]:
        query_id = self.state.new_callback_id()
        self.state.callback_queries[query_id] = None
        query = {
            "id": query_id,
            "from": user.to_dict(),
            "message": message,
            "chat_instance": str(-(abs(chat_id) * 7919 % 10**18)),
            "data": data,
        }
        return self.state.push_update({"callback_query": query})

    def answer_for(self, callback: str | dict[str, Any]) -> CallbackAnswer | None:
        """The bot's answerCallbackQuery for a query id (or the update from press())."""
        if isinstance(callback, dict):
            callback = str(callback.get("callback_query", callback)["id"])
        return self.state.callback_queries.get(callback)
