"""Last resort: anything no other handler took gets a helpful answer."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import gettext as _

from bot.services.errors import StaleButton
from handlers.audiences import any_chat, private_chat


async def unknown_command(message: Message) -> None:
    await message.answer(_("I don't know that command. Send /help to see what I can do."))


async def unexpected_text(message: Message) -> None:
    await message.answer(_("I didn't understand that. Send /help to see what I can do."))


async def unsupported_content(message: Message) -> None:
    await message.answer(
        _("I can only read text messages and photos here. Send /help to see what I can do.")
    )


async def stale_button(callback: CallbackQuery) -> None:
    """A button nothing answers: from an earlier state, or forged (audited, like any refusal)."""
    raise StaleButton()


def build_router() -> Router:
    # Order matters: the first matching registration answers.
    messages = private_chat("common.fallback.private")
    messages.message.register(unknown_command, F.text.startswith("/"))
    messages.message.register(unexpected_text, F.text)
    messages.message.register(unsupported_content)
    router = any_chat("common.fallback")  # a button nothing answered, in any chat
    router.callback_query.register(stale_button)
    router.include_router(messages)
    return router
