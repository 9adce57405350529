"""A deferred Bot API call is kept as JSON with the inbox row and rebuilt to be made: the
rebuilt call must be the one the handler made."""

from __future__ import annotations

from typing import TypeVar

from aiogram.methods import SendMediaGroup, SendMessage
from aiogram.types import (
    ForceReply,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InputMediaPhoto,
    InputMediaVideo,
    ReplyKeyboardRemove,
)

from bot.app.runtime.replies import as_json, build_method

M = TypeVar("M", SendMessage, SendMediaGroup)


def _round_trip(method: M) -> M:
    stored = as_json(method)
    assert stored is not None
    rebuilt = build_method(method.__api_method__, stored)
    assert isinstance(rebuilt, type(method))
    return rebuilt


def test_a_keyboard_removal_is_stored_as_one() -> None:
    call = SendMessage(chat_id=1, text="Done.", reply_markup=ReplyKeyboardRemove())
    assert as_json(call) == {
        "chat_id": 1,
        "text": "Done.",
        "reply_markup": {"remove_keyboard": True},
    }
    rebuilt = _round_trip(call)
    assert isinstance(rebuilt.reply_markup, ReplyKeyboardRemove)


def test_a_forced_reply_keeps_its_flag_and_placeholder() -> None:
    call = SendMessage(
        chat_id=1, text="Why?", reply_markup=ForceReply(input_field_placeholder="reason")
    )
    stored = as_json(call)
    assert stored is not None
    assert stored["reply_markup"] == {"force_reply": True, "input_field_placeholder": "reason"}
    assert isinstance(_round_trip(call).reply_markup, ForceReply)


def test_an_album_keeps_the_type_of_each_item() -> None:
    call = SendMediaGroup(
        chat_id=1,
        media=[InputMediaPhoto(media="photo-id", caption="leak"), InputMediaVideo(media="v")],
    )
    rebuilt = _round_trip(call)
    assert isinstance(rebuilt, SendMediaGroup)
    assert [type(item) for item in rebuilt.media] == [InputMediaPhoto, InputMediaVideo]
    assert rebuilt.media[0].caption == "leak"


def test_what_was_set_to_none_stays_none_and_defaults_stay_the_bots() -> None:
    plain = as_json(SendMessage(chat_id=1, text="a < b", parse_mode=None))
    assert plain == {"chat_id": 1, "text": "a < b", "parse_mode": None}  # no formatting
    assert as_json(SendMessage(chat_id=1, text="<b>x</b>")) == {"chat_id": 1, "text": "<b>x</b>"}


def test_buttons_are_stored_as_set() -> None:
    keyboard = InlineKeyboardMarkup(
        inline_keyboard=[[InlineKeyboardButton(text="Take", callback_data="t:1:0")]]
    )
    stored = as_json(SendMessage(chat_id=1, text="card", reply_markup=keyboard))
    assert stored is not None
    assert stored["reply_markup"] == {
        "inline_keyboard": [[{"text": "Take", "callback_data": "t:1:0"}]]
    }
