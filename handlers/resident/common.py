"""Small helpers shared by the resident handlers: who the resident is, photos, editing
the bot's earlier messages."""

from __future__ import annotations

import contextlib
import html

from aiogram import Bot
from aiogram.exceptions import TelegramBadRequest
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message
from sqlalchemy.ext.asyncio import AsyncSession

from bot.config.orgfile import Organisation
from bot.presentation.residents.keyboards import InlineReply
from bot.services import registration
from storage.models import Person


async def resident_for(
    event: Message | CallbackQuery, session: AsyncSession, organisation: Organisation
) -> Person:
    """The registered resident who sent ``event``; else a refusal telling how to register.

    Handlers of the residents' router get the same as their ``person`` parameter
    (``handlers/resident/registered.py``)."""
    assert event.from_user is not None
    notice_version = organisation.residents.privacy_notice_version
    return await registration.resident(session, event.from_user.id, notice_version)


def photo_of(message: Message) -> tuple[str, str | None] | None:
    if not message.photo:
        return None
    largest = message.photo[-1]
    return largest.file_id, largest.file_unique_id


async def clear_buttons(message: Message) -> None:
    """Remove a message's inline buttons; an old or already-cleared message is fine as it is."""
    await set_buttons(message, None)


async def done_with_buttons(callback: CallbackQuery) -> Message:
    """A question answered with a button: the press acknowledged, the buttons removed."""
    assert isinstance(callback.message, Message)
    await callback.answer()
    await clear_buttons(callback.message)
    return callback.message


async def answered_with_button(callback: CallbackQuery) -> Message:
    """A question answered with a button: the press acknowledged, and the buttons give way
    to the answer chosen under the question (“» Water leak”), so that the chat reads back
    as questions and answers. A button no longer on the message only loses its buttons."""
    message = callback.message
    assert isinstance(message, Message)
    await callback.answer()
    rows = message.reply_markup.inline_keyboard if message.reply_markup else []
    label = next((b.text for row in rows for b in row if b.callback_data == callback.data), None)
    if label is None or not message.text:
        await clear_buttons(message)
        return message
    with contextlib.suppress(TelegramBadRequest):  # too old to edit, or already edited
        await message.edit_text(f"{message.html_text}\n» {html.escape(label)}", reply_markup=None)
    return message


async def set_buttons(message: Message, reply_markup: InlineKeyboardMarkup | None) -> None:
    with contextlib.suppress(TelegramBadRequest):
        await message.edit_reply_markup(reply_markup=reply_markup)


async def replace_text(
    message: Message, text: str, reply_markup: InlineKeyboardMarkup | None = None
) -> None:
    """Edit a message in place; if Telegram refuses (too old, unchanged), send it anew."""
    try:
        await message.edit_text(text, reply_markup=reply_markup)
    except TelegramBadRequest as error:
        if "not modified" not in str(error):
            await message.answer(text, reply_markup=reply_markup)


async def show_in_place(callback: CallbackQuery, reply: InlineReply) -> None:
    """The message whose button was pressed now shows ``reply`` (see :func:`replace_text`)."""
    assert isinstance(callback.message, Message)
    await replace_text(callback.message, reply.text, reply_markup=reply.markup)


async def edit_sent(
    bot: Bot,
    chat_id: int,
    message_id: int,
    text: str,
    reply_markup: InlineKeyboardMarkup | None = None,
) -> None:
    """Edit one of the bot's earlier messages (a running photo count); unchanged is fine."""
    try:
        await bot.edit_message_text(
            text, chat_id=chat_id, message_id=message_id, reply_markup=reply_markup
        )
    except TelegramBadRequest as error:
        if "not modified" not in str(error):
            raise
