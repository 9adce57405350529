"""“My tickets”: the paged list (open ones first) and each ticket's detail with its whole
history, paged when long."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.types import CallbackQuery

from bot.presentation.buttons.residents import TicketDetailPage, TicketsPage
from bot.presentation.buttons.tickets import ResidentAction, ResidentTicketAction
from bot.presentation.residents import tickets as texts
from bot.services.resident_tickets import ticket_view
from handlers.resident.common import show_in_place
from handlers.resident.registered import Turn


async def show_page(callback: CallbackQuery, callback_data: TicketsPage, turn: Turn) -> None:
    await callback.answer()
    reply = await texts.ticket_list(turn.session, turn.ctx.org, turn.person.id, callback_data.page)
    await show_in_place(callback, reply)


async def show_detail(
    callback: CallbackQuery, callback_data: ResidentTicketAction, turn: Turn
) -> None:
    await _detail(callback, turn, callback_data.ticket_id, page=0)


async def turn_detail_page(
    callback: CallbackQuery, callback_data: TicketDetailPage, turn: Turn
) -> None:
    await _detail(callback, turn, callback_data.ticket_id, page=callback_data.page)


async def _detail(callback: CallbackQuery, turn: Turn, ticket_id: int, *, page: int) -> None:
    view = await ticket_view(turn.session, turn.ctx.org, turn.actor, ticket_id, turn.locale)
    await callback.answer()
    await show_in_place(callback, texts.detail(view, turn.ctx.org, page=page))


def build_router() -> Router:
    router = Router(name="resident.tickets")
    router.callback_query.register(show_page, TicketsPage.filter())
    router.callback_query.register(
        show_detail, ResidentTicketAction.filter(F.action == ResidentAction.VIEW)
    )
    router.callback_query.register(turn_detail_page, TicketDetailPage.filter())
    return router
