"""Parameter coercion and shared checks used by several method modules."""

from __future__ import annotations

from typing import Any

from fake_telegram.errors import bad_request
from fake_telegram.models import ChatRecord
from fake_telegram.payloads import content_of
from fake_telegram.state import BotState


def int_param(params: dict[str, Any], key: str, default: int | None = None) -> int | None:
    """An integer parameter; strings of digits are accepted like Telegram does."""
    value = params.get(key)
    if value is None or value == "":
        return default
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int):
        return value
    try:
        return int(str(value))
    except ValueError:
        raise bad_request(f'field "{key}" must be of type Integer') from None


def required_int(params: dict[str, Any], key: str) -> int:
    """An integer parameter that must be present."""
    value = int_param(params, key)
    if value is None:
        raise bad_request(
            f"{key} is empty" if key != "message_id" else "message identifier is not specified"
        )
    return value


def bool_param(params: dict[str, Any], key: str, default: bool = False) -> bool:
    """Booleans arrive as JSON ``true``/``false`` or as strings from forms."""
    value = params.get(key)
    if value is None or value == "":
        return default
    if isinstance(value, str):
        return value.lower() in ("true", "1", "yes")
    return bool(value)


def reply_target(
    state: BotState, chat: ChatRecord, params: dict[str, Any]
) -> dict[str, Any] | None:
    """The ``reply_to_message`` object for ``reply_parameters``/``reply_to_message_id``.

    Missing messages give "message to be replied not found" unless
    ``allow_sending_without_reply`` is set, as in the Bot API.
    """
    reply = params.get("reply_parameters")
    allow_missing = bool_param(params, "allow_sending_without_reply")
    message_id: Any = None
    source_chat = chat
    if isinstance(reply, dict):
        message_id = reply.get("message_id")
        allow_missing = allow_missing or bool(reply.get("allow_sending_without_reply"))
        if reply.get("chat_id") not in (None, chat.id):
            source_chat = state.require_chat(reply["chat_id"])
    elif params.get("reply_to_message_id") is not None:
        message_id = int_param(params, "reply_to_message_id")
    if message_id is None:
        return None
    target = state.find_message(source_chat.id, message_id)
    if target is None:
        if allow_missing:
            return None
        raise bad_request("message to be replied not found")
    return reply_snapshot(target.data)


def reply_snapshot(message: dict[str, Any]) -> dict[str, Any]:
    """A replied-to message as embedded by Telegram (no nested reply)."""
    return {key: value for key, value in message.items() if key != "reply_to_message"}


def message_content(message: dict[str, Any]) -> dict[str, Any]:
    """Shortcut re-exported for method modules."""
    return content_of(message)
