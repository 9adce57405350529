"""Small helpers shared by the resident handlers."""

from __future__ import annotations

import contextlib

from aiogram import Bot
from aiogram.exceptions import TelegramBadRequest
from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import gettext as _
from sqlalchemy.ext.asyncio import AsyncSession

from bot.config.orgfile import Organisation
from bot.services.people import person_by_telegram_id
from bot.services.registration import RegistrationStep, step_of
from storage.models import Person


def refusal(error: Exception) -> str:
    """The translated reason of a service refusal (``reason`` msgid + ``values``)."""
    reason = _(getattr(error, "reason", "Something went wrong."))
    values = getattr(error, "values", None) or {}
    return reason.format(**values) if values else reason


async def resident_for(
    event: Message | CallbackQuery, session: AsyncSession, organisation: Organisation
) -> Person | None:
    """The registered resident who sent ``event``; otherwise tell them how to register."""
    assert event.from_user is not None
    person = await person_by_telegram_id(session, event.from_user.id)
    step = step_of(person, organisation.residents.privacy_notice_version)
    if step is RegistrationStep.DONE:
        return person
    if person is not None and person.consented_at is not None and step is RegistrationStep.CONSENT:
        text = _("Our privacy notice has changed. Please send /start to read it again.")
    else:
        text = _("Please register first: send /start.")
    if isinstance(event, CallbackQuery):
        await event.answer(text, show_alert=True)
    else:
        await event.answer(text)
    return None


def photo_of(message: Message) -> tuple[str, str | None] | None:
    if not message.photo:
        return None
    largest = message.photo[-1]
    return largest.file_id, largest.file_unique_id


async def clear_buttons(message: Message) -> None:
    """Remove a message's inline buttons; an old or already-cleared message is fine as it is."""
    await set_buttons(message, None)


async def set_buttons(message: Message, reply_markup) -> None:
    with contextlib.suppress(TelegramBadRequest):
        await message.edit_reply_markup(reply_markup=reply_markup)


async def replace_text(message: Message, text: str, reply_markup=None) -> None:
    """Edit a message in place; if Telegram refuses (too old, unchanged), send it anew."""
    try:
        await message.edit_text(text, reply_markup=reply_markup)
    except TelegramBadRequest as error:
        if "not modified" not in str(error):
            await message.answer(text, reply_markup=reply_markup)


async def edit_sent(bot: Bot, chat_id: int, message_id: int, text: str, reply_markup=None) -> None:
    """Edit one of the bot's earlier messages (a running photo count); unchanged is fine."""
    try:
        await bot.edit_message_text(
            text, chat_id=chat_id, message_id=message_id, reply_markup=reply_markup
        )
    except TelegramBadRequest as error:
        if "not modified" not in str(error):
            raise
