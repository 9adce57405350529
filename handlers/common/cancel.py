"""/cancel leaves any conversation, from any step."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.filters import Command
from aiogram.fsm.context import FSMContext
from aiogram.types import Message, ReplyKeyboardRemove
from aiogram.utils.i18n import gettext as _


async def cancel_conversation(message: Message, state: FSMContext) -> None:
    if await state.get_state() is None:
        await message.answer(_("There is nothing to cancel."), reply_markup=ReplyKeyboardRemove())
        return
    await state.clear()
    await message.answer(_("Cancelled."), reply_markup=ReplyKeyboardRemove())


def build_router() -> Router:
    router = Router(name="common.cancel")
    router.message.filter(F.chat.type == "private")
    router.message.register(cancel_conversation, Command("cancel"))
    return router
