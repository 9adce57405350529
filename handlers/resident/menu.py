"""The main menu (reply keyboard) and its commands; a menu button leaves any resident step."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.filters import Command, StateFilter
from aiogram.types import Message

from bot.presentation.residents import profile as profile_texts
from bot.presentation.residents import tickets as ticket_texts
from bot.presentation.residents.keyboards import (
    MENU_HELP,
    MENU_KIND_BUTTONS,
    MENU_PROFILE,
    MENU_TICKETS,
    labels,
)
from bot.services.people import Actor
from handlers.common.start import show_help
from handlers.resident.filing import begin_filing
from handlers.resident.registered import Turn
from handlers.resident.states import RESIDENT_STATES


def _kinds_by_label() -> dict[str, str]:
    return {label: kind for msgid, kind in MENU_KIND_BUTTONS.items() for label in labels(msgid)}


async def file_from_menu(message: Message, turn: Turn) -> None:
    await turn.state.clear()
    kind = _kinds_by_label()[message.text or ""]
    await begin_filing(message, turn, kind, message.message_id)


async def my_tickets(message: Message, turn: Turn) -> None:
    await turn.state.clear()
    reply = await ticket_texts.ticket_list(turn.session, turn.ctx.org, turn.person.id, page=0)
    await message.answer(reply.text, reply_markup=reply.markup)


async def my_profile(message: Message, turn: Turn) -> None:
    await turn.state.clear()
    reply = await profile_texts.profile(turn.session, turn.person, turn.ctx.org)
    await message.answer(reply.text, reply_markup=reply.markup)


async def help_from_menu(message: Message, turn: Turn, actor: Actor) -> None:
    await turn.state.clear()
    await show_help(message, actor, turn.session, turn.ctx)


def build_router() -> Router:
    router = Router(name="resident.menu")
    router.message.filter(StateFilter(None, *RESIDENT_STATES))
    router.message.register(file_from_menu, F.text.in_(frozenset(_kinds_by_label())))
    router.message.register(my_tickets, F.text.in_(labels(MENU_TICKETS)))
    router.message.register(my_tickets, Command("tickets"))
    router.message.register(my_profile, F.text.in_(labels(MENU_PROFILE)))
    router.message.register(my_profile, Command("profile"))
    router.message.register(help_from_menu, F.text.in_(labels(MENU_HELP)))
    return router
