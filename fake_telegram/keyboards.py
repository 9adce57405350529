"""Reply-markup validation and inline-button lookup.

Telegram rejects oversized ``callback_data`` with ``BUTTON_DATA_INVALID`` and
buttons that do nothing; a bot that encodes too much state in callback data only
finds out in production, so the fake checks it on every send and edit.
"""

from __future__ import annotations

from typing import Any

from fake_telegram.errors import bad_request

CALLBACK_DATA_LIMIT = 64
_ACTION_FIELDS = (
    "url",
    "callback_data",
    "web_app",
    "login_url",
    "switch_inline_query",
    "switch_inline_query_current_chat",
    "switch_inline_query_chosen_chat",
    "copy_text",
    "callback_game",
    "pay",
)


def validate_reply_markup(markup: Any) -> dict[str, Any] | None:
    """Check ``reply_markup``; return the inline markup to echo in ``Message``.

    Only inline keyboards appear in the returned ``Message`` (as in the Bot API);
    reply keyboards, ``remove_keyboard`` and ``force_reply`` are accepted and
    yield ``None``.
    """
    if markup is None:
        return None
    if not isinstance(markup, dict):
        raise bad_request("can't parse reply keyboard markup JSON object")
    if "inline_keyboard" in markup:
        rows = markup["inline_keyboard"]
        if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
            raise bad_request(
                'can\'t parse inline keyboard button: field "inline_keyboard" '
                "must be an Array of Arrays"
            )
        for row in rows:
            for button in row:
                _check_inline_button(button)
        if not any(rows):
            return None
        return {"inline_keyboard": [[dict(button) for button in row] for row in rows if row]}
    if "keyboard" in markup:
        rows = markup["keyboard"]
        if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
            raise bad_request("can't parse reply keyboard markup JSON object")
        return None
    if markup.get("remove_keyboard") or markup.get("force_reply"):
        return None
    raise bad_request("can't parse reply keyboard markup JSON object")


def _check_inline_button(button: Any) -> None:
    if not isinstance(button, dict) or not isinstance(button.get("text"), str):
        raise bad_request(
            'can\'t parse inline keyboard button: Field "text" must be of type String'
        )
    if not button["text"]:
        raise bad_request("BUTTON_TEXT_INVALID")
    if not any(key in button for key in _ACTION_FIELDS):
        raise bad_request(
            "can't parse inline keyboard button: Text buttons are unallowed in the inline keyboard"
        )
    if "callback_data" in button:
        data = button["callback_data"]
        if not isinstance(data, str) or not data:
            raise bad_request("BUTTON_DATA_INVALID")
        if len(data.encode("utf-8")) > CALLBACK_DATA_LIMIT:
            raise bad_request("BUTTON_DATA_INVALID")
    if "url" in button and not button["url"]:
        raise bad_request("BUTTON_URL_INVALID")


def find_button(
    rows: list[list[dict[str, Any]]], *, data: str | None = None, text: str | None = None
) -> dict[str, Any]:
    """The first callback button matching ``data`` or ``text`` (exact match).

    Raises :class:`LookupError` listing what is there, so a failing test says why.
    """
    if (data is None) == (text is None):
        raise ValueError("pass exactly one of data= or text=")
    for row in rows:
        for button in row:
            if "callback_data" not in button:
                continue
            if data is not None and button["callback_data"] == data:
                return button
            if text is not None and button.get("text") == text:
                return button
    available = [(b.get("text"), b.get("callback_data")) for row in rows for b in row]
    wanted = f"data={data!r}" if data is not None else f"text={text!r}"
    raise LookupError(f"no inline callback button with {wanted}; buttons: {available}")
