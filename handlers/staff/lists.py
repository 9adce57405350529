"""/queue, /mine and /ticket NUMBER: finding the work.

In a private chat they answer staff only (anyone else's command goes on to the
resident handlers); in a staff group they are refused for anyone without a
staff role, and a group only ever lists its own units' tickets.
"""

from __future__ import annotations

from aiogram import F, Router
from aiogram.exceptions import TelegramBadRequest
from aiogram.filters import Command, CommandObject
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message
from aiogram.utils.i18n import I18n
from aiogram.utils.i18n import gettext as _
from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import Clock
from bot.config.orgfile import Organisation
from bot.services import staff_desk
from bot.services.notifications.staff import render_card
from bot.services.people import Actor
from bot.services.staff_desk import REFUSABLE, QueuePage, Where
from handlers.callbacks import QueuePage as QueuePageButton
from handlers.callbacks import StaffTicketAction
from handlers.staff.common import (
    GROUP_TYPES,
    reading_locale,
    refuse_message,
    refuse_press,
    where,
)
from handlers.staff.texts import render_queue


def _keyboard(page: QueuePage, place: Where, scope: str) -> InlineKeyboardMarkup | None:
    buttons = [
        InlineKeyboardButton(
            text=item.number,
            callback_data=StaffTicketAction(
                action="open", ticket_id=item.ticket_id, version=item.version
            ).pack(),
        )
        for item in page.items
    ]
    rows = [buttons[i : i + 3] for i in range(0, len(buttons), 3)]
    paging = []
    unit = place.group_unit_id or 0
    if page.page > 0:
        data = QueuePageButton(scope=scope, unit_id=unit, page=page.page - 1).pack()
        paging.append(InlineKeyboardButton(text=_("◀ Previous"), callback_data=data))
    if page.page + 1 < page.pages:
        data = QueuePageButton(scope=scope, unit_id=unit, page=page.page + 1).pack()
        paging.append(InlineKeyboardButton(text=_("Next ▶"), callback_data=data))
    if paging:
        rows.append(paging)
    return InlineKeyboardMarkup(inline_keyboard=rows) if rows else None


async def _list(
    message: Message,
    session: AsyncSession,
    clock: Clock,
    organisation: Organisation,
    i18n: I18n,
    actor: Actor | None,
    *,
    mine: bool,
) -> None:
    place = await where(session, message.chat)
    try:
        page = await staff_desk.queue(session, actor, place, mine=mine)
    except REFUSABLE as error:
        await refuse_message(message, session, clock, actor, "ticket.queue", error)
        return
    scope = "mine" if mine else "queue"
    await message.answer(
        render_queue(page, organisation, i18n.current_locale, mine=mine),
        reply_markup=_keyboard(page, place, scope),
    )


async def show_queue(
    message: Message,
    session: AsyncSession,
    clock: Clock,
    organisation: Organisation,
    i18n: I18n,
    actor: Actor | None = None,
) -> None:
    await _list(message, session, clock, organisation, i18n, actor, mine=False)


async def show_mine(
    message: Message,
    session: AsyncSession,
    clock: Clock,
    organisation: Organisation,
    i18n: I18n,
    actor: Actor | None = None,
) -> None:
    await _list(message, session, clock, organisation, i18n, actor, mine=True)


async def turn_page(
    callback: CallbackQuery,
    callback_data: QueuePageButton,
    session: AsyncSession,
    clock: Clock,
    organisation: Organisation,
    i18n: I18n,
    actor: Actor | None = None,
) -> None:
    if callback.message is None or callback_data.scope not in ("queue", "mine"):
        return
    place = await where(session, callback.message.chat)  # never the button's word for it
    mine = callback_data.scope == "mine"
    try:
        page = await staff_desk.queue(session, actor, place, mine=mine, page=callback_data.page)
    except REFUSABLE as error:
        await refuse_press(callback, session, clock, actor, "ticket.queue", error)
        return
    try:
        await callback.message.edit_text(
            render_queue(page, organisation, i18n.current_locale, mine=mine),
            reply_markup=_keyboard(page, place, callback_data.scope),
        )
    except TelegramBadRequest:
        pass  # nothing changed since the list was shown
    await callback.answer()


async def open_ticket(
    message: Message,
    command: CommandObject,
    session: AsyncSession,
    clock: Clock,
    organisation: Organisation,
    i18n: I18n,
    actor: Actor | None = None,
) -> None:
    if not command.args:
        await message.reply(_("Which ticket? For example: /ticket SG-000123"))
        return
    place = await where(session, message.chat)
    try:
        ticket = await staff_desk.open_by_number(session, actor, command.args, place)
    except REFUSABLE as error:
        await refuse_message(message, session, clock, actor, "ticket.open", error)
        return
    locale = reading_locale(message.chat, i18n, organisation)
    text, markup = await render_card(session, organisation, ticket, locale)
    await message.answer(text, reply_markup=InlineKeyboardMarkup.model_validate(markup))


def _is_staff(_event: object, actor: Actor | None = None) -> bool:
    return actor is not None and actor.is_staff


def build_router() -> Router:
    router = Router(name="staff.lists")
    in_group = F.chat.type.in_(GROUP_TYPES)
    private_staff = (F.chat.type == "private", _is_staff)
    for handler, name in ((show_queue, "queue"), (show_mine, "mine"), (open_ticket, "ticket")):
        router.message.register(handler, Command(name), in_group)
        router.message.register(handler, Command(name), *private_staff)
    router.callback_query.register(turn_page, QueuePageButton.filter())
    return router
