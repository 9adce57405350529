"""The main menu (reply keyboard) and its commands; a menu button leaves any resident step."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.filters import Command, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.types import Message
from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import Clock
from bot.config.orgfile import Organisation
from bot.services.people import Actor
from handlers.common.start import show_help
from handlers.resident import profile, tickets
from handlers.resident.common import resident_for
from handlers.resident.filing import begin_filing
from handlers.resident.keyboards import (
    MENU_HELP,
    MENU_KIND_BUTTONS,
    MENU_PROFILE,
    MENU_TICKETS,
    labels,
)
from handlers.resident.states import RESIDENT_STATES


def _kinds_by_label() -> dict[str, str]:
    return {label: kind for msgid, kind in MENU_KIND_BUTTONS.items() for label in labels(msgid)}


async def file_from_menu(
    message: Message,
    state: FSMContext,
    session: AsyncSession,
    organisation: Organisation,
    clock: Clock,
) -> None:
    person = await resident_for(message, session, organisation)
    if person is None:
        return
    await state.clear()
    kind = _kinds_by_label()[message.text or ""]
    await begin_filing(
        message, state, session, organisation, clock, person, kind, message.message_id
    )


async def my_tickets(
    message: Message, state: FSMContext, session: AsyncSession, organisation: Organisation
) -> None:
    person = await resident_for(message, session, organisation)
    if person is None:
        return
    await state.clear()
    await tickets.send_list(message, session, organisation, person.id)


async def my_profile(
    message: Message, state: FSMContext, session: AsyncSession, organisation: Organisation
) -> None:
    person = await resident_for(message, session, organisation)
    if person is None:
        return
    await state.clear()
    await profile.send_profile(message, session, person, organisation)


async def help_from_menu(message: Message, state: FSMContext, actor: Actor) -> None:
    await state.clear()
    await show_help(message, actor)


def build_router() -> Router:
    router = Router(name="resident.menu")
    router.message.filter(F.chat.type == "private", StateFilter(None, *RESIDENT_STATES))
    kinds = frozenset(_kinds_by_label())
    router.message.register(file_from_menu, F.text.in_(kinds))
    router.message.register(my_tickets, F.text.in_(labels(MENU_TICKETS)))
    router.message.register(my_tickets, Command("tickets"))
    router.message.register(my_profile, F.text.in_(labels(MENU_PROFILE)))
    router.message.register(my_profile, Command("profile"))
    router.message.register(help_from_menu, F.text.in_(labels(MENU_HELP)))
    return router
