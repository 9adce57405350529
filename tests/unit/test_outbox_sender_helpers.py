"""Pure parts of the outbox sender."""

from __future__ import annotations

import pytest
from aiogram.methods import EditMessageText, SendMessage

from scheduler.outbox_sender import as_plain_text, build_method


def test_stored_calls_become_aiogram_methods() -> None:
    method = build_method("sendMessage", {"chat_id": 5, "text": "hi", "parse_mode": "HTML"})
    assert isinstance(method, SendMessage) and method.chat_id == 5
    edit = build_method("editMessageText", {"chat_id": 5, "message_id": 3, "text": "x"})
    assert isinstance(edit, EditMessageText)
    with pytest.raises(ValueError):
        build_method("getUpdates2", {})


def test_plain_text_fallback_strips_markup_and_unescapes() -> None:
    payload = {"chat_id": 1, "text": "<b>SG-000001</b> a &lt; b &amp; c", "parse_mode": "HTML"}
    assert as_plain_text(payload) == {
        "chat_id": 1,
        "text": "SG-000001 a < b & c",
        "parse_mode": None,
    }
