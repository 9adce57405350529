"""Last resort: anything no other handler took gets a helpful answer."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import gettext as _

router = Router(name="common.fallback")
router.message.filter(F.chat.type == "private")


@router.message(F.text.startswith("/"))
async def unknown_command(message: Message) -> None:
    await message.answer(_("I don't know that command. Send /help to see what I can do."))


@router.message(F.text)
async def unexpected_text(message: Message) -> None:
    await message.answer(_("I didn't understand that. Send /help to see what I can do."))


@router.message()
async def unsupported_content(message: Message) -> None:
    await message.answer(
        _("I can only read text messages and photos here. Send /help to see what I can do.")
    )


@router.callback_query()
async def stale_button(callback: CallbackQuery) -> None:
    await callback.answer(_("This button is no longer valid."), show_alert=True)
