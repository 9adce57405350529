"""/cancel leaves any conversation, from any step."""

from __future__ import annotations

from aiogram import Router
from aiogram.filters import Command
from aiogram.fsm.context import FSMContext
from aiogram.types import Message, ReplyKeyboardRemove
from aiogram.utils.i18n import gettext as _
from sqlalchemy.ext.asyncio import AsyncSession

from bot.presentation.residents.keyboards import main_menu
from bot.services.context import Context
from bot.services.registration import registered_resident
from handlers.audiences import private_chat


async def cancel_conversation(
    message: Message, state: FSMContext, session: AsyncSession, ctx: Context
) -> None:
    assert message.from_user is not None
    # Registered residents get their main menu back; anyone else a clean keyboard.
    notice_version = ctx.org.residents.privacy_notice_version
    resident = await registered_resident(session, message.from_user.id, notice_version)
    keyboard = main_menu() if resident is not None else ReplyKeyboardRemove()
    if await state.get_state() is None:
        await message.answer(_("There is nothing to cancel."), reply_markup=keyboard)
        return
    await state.clear()
    await message.answer(_("Cancelled."), reply_markup=keyboard)


def build_router() -> Router:
    router = private_chat("common.cancel")
    router.message.register(cancel_conversation, Command("cancel"))
    return router
