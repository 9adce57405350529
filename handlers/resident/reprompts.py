"""Input a step cannot use (a sticker, voice note, file, location...): say so, keep the step."""

from __future__ import annotations

from aiogram import Router
from aiogram.filters import StateFilter
from aiogram.types import Message
from aiogram.utils.i18n import gettext as _

from handlers.resident.states import Binding


async def code_expected(message: Message) -> None:
    await message.answer(
        _("Please type the unit code from the property office (it looks like ABCD-EFGH-JKMN).")
    )


async def unit_number_expected(message: Message) -> None:
    await message.answer(_("Please type your unit number, for example 1203."))


def build_router() -> Router:
    router = Router(name="resident.reprompts")
    router.message.register(code_expected, StateFilter(Binding.code))
    router.message.register(unit_number_expected, StateFilter(Binding.unit_number))
    return router
