"""/queue, /mine and /ticket NUMBER (or the number alone, in private): finding the work.

In a private chat they answer staff only (anyone else's command goes on to the
resident handlers); in a staff group they are refused for anyone without a
staff role, and a group only ever lists its own units' tickets.
"""

from __future__ import annotations

import contextlib

from aiogram import Router
from aiogram.exceptions import TelegramBadRequest
from aiogram.filters import Command, CommandObject, StateFilter
from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import gettext as _

from bot.presentation.buttons.tickets import QueuePage, QueueScope
from bot.presentation.staff.card import render_card
from bot.presentation.staff.queue import queue_keyboard, render_queue
from bot.services.context import Context
from bot.services.tickets import queries
from bot.services.tickets.numbering import typed_number
from handlers.audiences import any_chat, private_chat, staff_groups
from handlers.desk import Desk, at_desk
from handlers.staff.common import editable, is_staff


async def _list(message: Message, desk: Desk, scope: QueueScope) -> None:
    place = await desk.place(message.chat)
    mine = scope is QueueScope.MINE
    page = await queries.queue(desk.session, desk.actor, place, mine=mine)
    await message.answer(
        render_queue(page, desk.ctx.org, desk.locale, desk.ctx.now, mine=mine),
        reply_markup=queue_keyboard(page, place, scope),
    )


async def show_queue(message: Message, desk: Desk) -> None:
    await _list(message, desk, QueueScope.QUEUE)


async def show_mine(message: Message, desk: Desk) -> None:
    await _list(message, desk, QueueScope.MINE)


async def turn_page(callback: CallbackQuery, callback_data: QueuePage, desk: Desk) -> None:
    message = editable(callback)
    place = await desk.place(message.chat)  # never the button's word for it
    mine = callback_data.scope is QueueScope.MINE
    page = await queries.queue(desk.session, desk.actor, place, mine=mine, page=callback_data.page)
    with contextlib.suppress(TelegramBadRequest):  # nothing changed since the list was shown
        await message.edit_text(
            render_queue(page, desk.ctx.org, desk.locale, desk.ctx.now, mine=mine),
            reply_markup=queue_keyboard(page, place, callback_data.scope),
        )
    await callback.answer()


async def open_ticket(message: Message, command: CommandObject, desk: Desk) -> None:
    if not command.args:
        await message.reply(_("Which ticket? For example: /ticket SG-000123"))
        return
    await _open(message, desk, command.args)


async def open_typed_number(message: Message, desk: Desk) -> None:
    """A ticket number alone, written in the private chat ("sg-123"): its card, as
    /ticket would show it."""
    await _open(message, desk, message.text or "")


def _is_number(message: Message, ctx: Context) -> bool:
    return (
        message.text is not None
        and typed_number(message.text, ctx.org.ticket_prefixes()) is not None
    )


async def _open(message: Message, desk: Desk, number: str) -> None:
    place = await desk.place(message.chat)
    _staff, ticket = await queries.staff_ticket(desk.session, desk.actor, place, number=number)
    locale = desk.reading_locale(message.chat)
    text, markup = await render_card(desk.session, desk.ctx.org, ticket, locale)
    await message.answer(text, reply_markup=markup)


COMMANDS = (
    ("queue", show_queue, "ticket.queue"),
    ("mine", show_mine, "ticket.queue"),
    ("ticket", open_ticket, "ticket.open"),
)


def build_router() -> Router:
    router = any_chat("staff.lists")
    router.message.filter(at_desk)
    router.callback_query.filter(at_desk)
    in_groups = staff_groups("staff.lists.groups")
    in_private = private_chat("staff.lists.private")
    in_private.message.filter(is_staff)
    for name, handler, audit in COMMANDS:
        for audience in (in_groups, in_private):
            audience.message.register(handler, Command(name), flags={"audit": audit})
    # Not while a conversation is under way: the number may be part of what it asks.
    in_private.message.register(
        open_typed_number, StateFilter(None), _is_number, flags={"audit": "ticket.open"}
    )
    router.callback_query.register(turn_page, QueuePage.filter(), flags={"audit": "ticket.queue"})
    router.include_routers(in_groups, in_private)
    return router
