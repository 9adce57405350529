"""Every call the bot makes fits Telegram's limits: the request middleware on its session."""

from __future__ import annotations

from typing import Any

from aiogram import Bot
from aiogram.client.default import DefaultBotProperties
from aiogram.methods import AnswerCallbackQuery, EditMessageText, SendMessage, SendPhoto
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup, ReplyParameters

from bot.presentation.message_split import (
    ALERT_LIMIT,
    CAPTION_LIMIT,
    TEXT_LIMIT,
    FitToTelegram,
    split_plain,
    units,
)

BOT = Bot("123:ABC", default=DefaultBotProperties(parse_mode="HTML"))
MARKUP = InlineKeyboardMarkup(inline_keyboard=[[InlineKeyboardButton(text="▶", callback_data="x")]])


async def _through(method: Any) -> list[Any]:
    sent: list[Any] = []

    async def make_request(bot: Bot, call: Any) -> Any:
        sent.append(call)
        return len(sent)

    result = await FitToTelegram()(make_request, BOT, method)
    assert result == len(sent)  # the last part's answer is the call's answer
    return sent


async def test_a_long_html_message_is_sent_in_parts_with_the_buttons_on_the_last() -> None:
    text = "\n".join(f"<b>{n}</b> 🚰💧 漏水" * 3 for n in range(800))
    sent = await _through(
        SendMessage(
            chat_id=1,
            text=text,
            reply_markup=MARKUP,
            reply_parameters=ReplyParameters(message_id=5),
        )
    )
    assert len(sent) > 1 and all(units(call.text) <= TEXT_LIMIT for call in sent)
    assert [call.reply_markup for call in sent] == [None] * (len(sent) - 1) + [MARKUP]
    assert sent[0].reply_parameters is not None and sent[1].reply_parameters is None
    assert all(call.text.count("<b>") == call.text.count("</b>") for call in sent)


async def test_plain_text_is_split_as_plain_text() -> None:
    text = "a < b & c 🚰\n" * 1000
    sent = await _through(SendMessage(chat_id=1, text=text, parse_mode=None))
    assert "".join(call.text for call in sent).replace("\n", "") == text.replace("\n", "")
    assert all(units(call.text) <= TEXT_LIMIT for call in sent)


async def test_edits_captions_and_alerts_are_shortened() -> None:
    [edit] = await _through(EditMessageText(chat_id=1, message_id=2, text="🚰" * 3000))
    assert units(edit.text) <= TEXT_LIMIT and edit.text.endswith("…")
    [photo] = await _through(SendPhoto(chat_id=1, photo="file", caption="漏" * 2000))
    assert units(photo.caption) <= CAPTION_LIMIT
    [alert] = await _through(AnswerCallbackQuery(callback_query_id="1", text="x" * 300))
    assert units(alert.text) <= ALERT_LIMIT


async def test_what_fits_passes_unchanged() -> None:
    call = SendMessage(chat_id=1, text="<b>SG-000001</b>", reply_markup=MARKUP)
    assert await _through(call) == [call]


def test_split_plain_prefers_line_breaks() -> None:
    parts = split_plain("x" * 30 + "\n" + "y" * 30, 40)
    assert parts == ["x" * 30, "y" * 30]
