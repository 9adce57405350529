"""/language: a two-step conversation whose state lives in the database."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.filters import Command, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import KeyboardButton, Message, ReplyKeyboardMarkup, ReplyKeyboardRemove
from aiogram.utils.i18n import I18n
from aiogram.utils.i18n import gettext as _
from sqlalchemy.ext.asyncio import AsyncSession

from bot.i18n import LANGUAGE_NAMES
from bot.presentation.residents.keyboards import main_menu
from bot.services.context import Context
from bot.services.people import Actor, set_language
from bot.services.roles import StaffProfileChanged
from handlers.audiences import private_chat


class ChoosingLanguage(StatesGroup):
    waiting_for_choice = State()


def _language_keyboard() -> ReplyKeyboardMarkup:
    return ReplyKeyboardMarkup(
        keyboard=[[KeyboardButton(text=name) for name in LANGUAGE_NAMES.values()]],
        resize_keyboard=True,
        one_time_keyboard=True,
    )


async def ask_language(message: Message, state: FSMContext) -> None:
    await state.set_state(ChoosingLanguage.waiting_for_choice)
    await message.answer(_("Choose your language:"), reply_markup=_language_keyboard())


async def save_language(
    message: Message,
    state: FSMContext,
    session: AsyncSession,
    ctx: Context,
    i18n: I18n,
    actor: Actor,
) -> None:
    """Saved; the main menu comes back in the new language (a staff member's menu too)."""
    assert message.from_user is not None and message.text is not None
    locale = next(code for code, name in LANGUAGE_NAMES.items() if name == message.text)
    await set_language(session, message.from_user.id, locale, ctx.now)
    if actor.is_staff:
        await ctx.announce(session, StaffProfileChanged(message.from_user.id))
    await state.clear()
    with i18n.use_locale(locale):
        await message.answer(
            _("Language set to {language}.").format(language=LANGUAGE_NAMES[locale]),
            reply_markup=main_menu() if actor.person_id is not None else ReplyKeyboardRemove(),
        )


async def repeat_language_question(message: Message) -> None:
    await message.answer(
        _("Please choose one of the languages on the keyboard below."),
        reply_markup=_language_keyboard(),
    )


def build_router() -> Router:
    router = private_chat("common.language")
    router.message.register(ask_language, Command("language"))
    router.message.register(
        save_language,
        StateFilter(ChoosingLanguage.waiting_for_choice),
        F.text.in_(LANGUAGE_NAMES.values()),
    )
    router.message.register(
        repeat_language_question, StateFilter(ChoosingLanguage.waiting_for_choice)
    )
    return router
