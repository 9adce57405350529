"""Plain data objects shared by the fake server, its state and the tests."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class FakeUser:
    """A Telegram user the tests act as (frozen so it can be shared freely)."""

    id: int
    first_name: str
    last_name: str | None = None
    username: str | None = None
    language_code: str | None = "zh-hans"
    is_bot: bool = False

    def to_dict(self) -> dict[str, Any]:
        """The ``User`` object as it appears in updates (optional keys omitted)."""
        data: dict[str, Any] = {"id": self.id, "is_bot": self.is_bot, "first_name": self.first_name}
        if self.last_name:
            data["last_name"] = self.last_name
        if self.username:
            data["username"] = self.username
        if self.language_code:
            data["language_code"] = self.language_code
        return data


@dataclass(frozen=True)
class BotProfile:
    """Who the fake bot is: what getMe answers and the ``from`` of its messages."""

    id: int
    username: str
    first_name: str

    def to_dict(self) -> dict[str, Any]:
        """The bot's ``User`` object."""
        return {
            "id": self.id,
            "is_bot": True,
            "first_name": self.first_name,
            "username": self.username,
        }


#: The account Telegram shows as the sender of anonymous group admins.
GROUP_ANONYMOUS_BOT_ID = 1087968824
GROUP_ANONYMOUS_BOT = BotProfile(
    id=GROUP_ANONYMOUS_BOT_ID, username="GroupAnonymousBot", first_name="Group"
).to_dict()


@dataclass(frozen=True)
class UploadedFile:
    """A multipart file part as received from the bot."""

    filename: str | None
    data: bytes
    content_type: str | None = None


@dataclass
class ApiCall:
    """One Bot API request as the server saw it, in arrival order.

    ``params`` are decoded (JSON-encoded fields such as ``reply_markup`` are dicts,
    numbers are ints).  Uploaded files stay as ``"attach://<part>"`` strings in
    ``params`` and are available in ``uploads`` / :meth:`upload`.  ``fault`` says
    why a call was refused or slowed by the harness (``"injected"``, ``"delayed"``,
    ``"dropped"``, ``"rate_limited"``) and is ``None`` for normal processing.
    ``at`` is ``time.monotonic()`` when the call was recorded; ``seq`` is a
    never-reset sequence number (see ``FakeTelegramServer.mark``).
    """

    method: str
    params: dict[str, Any]
    response: dict[str, Any]
    at: float
    seq: int = 0
    fault: str | None = None
    uploads: dict[str, UploadedFile] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        """Whether the response was ``{"ok": true}``."""
        return bool(self.response.get("ok"))

    @property
    def result(self) -> Any:
        """The ``result`` of a successful call (``None`` for failures)."""
        return self.response.get("result")

    @property
    def error_code(self) -> int | None:
        """HTTP-ish error code of a failed call."""
        return self.response.get("error_code")

    @property
    def description(self) -> str | None:
        """Error description of a failed call."""
        return self.response.get("description")

    def upload(self, param: str) -> UploadedFile | None:
        """The file uploaded for ``param`` (resolving ``attach://`` references)."""
        value = self.params.get(param)
        if isinstance(value, str) and value.startswith("attach://"):
            return self.uploads.get(value[len("attach://") :])
        return None


@dataclass(frozen=True)
class FileDetails:
    """What a file's payload tells about it besides its ids; each kind uses a few."""

    file_name: str | None = None
    mime_type: str | None = None
    width: int | None = None
    height: int | None = None
    duration: int | None = None


@dataclass
class StoredFile:
    """A file the fake knows: pushed by a user or uploaded by the bot."""

    file_id: str
    file_unique_id: str
    file_path: str
    data: bytes
    kind: str
    details: FileDetails

    @property
    def file_size(self) -> int:
        """Size in bytes, as reported by getFile."""
        return len(self.data)

    def to_file_dict(self) -> dict[str, Any]:
        """The ``File`` object getFile returns."""
        return {
            "file_id": self.file_id,
            "file_unique_id": self.file_unique_id,
            "file_size": self.file_size,
            "file_path": self.file_path,
        }


@dataclass
class StoredMessage:
    """A message in a chat; ``data`` is the current Telegram ``Message`` JSON.

    ``data`` dicts are never mutated: an edit stores a new dict and moves the old
    one to ``history``, so responses recorded in :class:`ApiCall` stay as sent.
    ``reply_markup`` is the markup exactly as the bot sent it (reply keyboards
    included, which Telegram does not echo back inside ``Message``).
    """

    chat_id: int
    message_id: int
    data: dict[str, Any]
    from_bot: bool
    reply_markup: dict[str, Any] | None = None
    history: list[dict[str, Any]] = field(default_factory=list)
    deleted: bool = False

    def __getitem__(self, key: str) -> Any:
        return self.data[key]

    def get(self, key: str, default: Any = None) -> Any:
        """``dict.get`` on the current message JSON."""
        return self.data.get(key, default)

    @property
    def text(self) -> str | None:
        """Visible text (markup already parsed away)."""
        return self.data.get("text")

    @property
    def caption(self) -> str | None:
        """Visible caption of a media message."""
        return self.data.get("caption")

    @property
    def inline_keyboard(self) -> list[list[dict[str, Any]]]:
        """Rows of inline buttons currently attached (empty when none)."""
        markup = self.data.get("reply_markup") or {}
        return markup.get("inline_keyboard") or []

    def buttons(self) -> list[dict[str, Any]]:
        """All inline buttons, row by row."""
        return [button for row in self.inline_keyboard for button in row]

    def button_texts(self) -> list[str]:
        """Texts of all inline buttons, handy for assertions."""
        return [str(button.get("text")) for button in self.buttons()]


@dataclass
class CallbackAnswer:
    """What the bot answered to a callback query via answerCallbackQuery."""

    callback_query_id: str
    text: str | None = None
    show_alert: bool = False
    url: str | None = None
    cache_time: int | None = None


@dataclass
class ForumTopicRecord:
    """A topic of a forum supergroup: its name, icon colour and whether it is closed."""

    message_thread_id: int
    name: str
    icon_color: int = 7322096
    closed: bool = False

    def to_dict(self) -> dict[str, Any]:
        """The ``ForumTopic`` object createForumTopic returns."""
        return {
            "message_thread_id": self.message_thread_id,
            "name": self.name,
            "icon_color": self.icon_color,
        }


@dataclass
class ChatRecord:
    """Server-side view of a chat: its members, the bot's standing and its messages."""

    id: int
    type: str
    title: str | None = None
    user: FakeUser | None = None
    username: str | None = None
    is_forum: bool = False
    bot_status: str = "member"
    blocked_by_user: bool = False
    migrated_to: int | None = None
    member_status: dict[int, str] = field(default_factory=dict)
    messages: dict[int, StoredMessage] = field(default_factory=dict)
    bot_message_ids: list[int] = field(default_factory=list)
    next_message_id: int = 1
    #: Forum topics by ``message_thread_id`` (the id of the topic's first service message).
    topics: dict[int, ForumTopicRecord] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """The short ``Chat`` object embedded in messages and updates."""
        if self.type == "private" and self.user is not None:
            data: dict[str, Any] = {"id": self.id, "type": "private"}
            data["first_name"] = self.user.first_name
            if self.user.last_name:
                data["last_name"] = self.user.last_name
            if self.user.username:
                data["username"] = self.user.username
            return data
        data = {"id": self.id, "type": self.type, "title": self.title or str(self.id)}
        if self.username:
            data["username"] = self.username
        if self.is_forum:
            data["is_forum"] = True
        return data

    def allocate_message_id(self) -> int:
        """Message ids grow per chat, shared by users' and the bot's messages."""
        message_id = self.next_message_id
        self.next_message_id += 1
        return message_id
