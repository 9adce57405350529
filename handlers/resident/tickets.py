"""“My tickets”: the paged list (open ones first) and each ticket's detail with history."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.types import CallbackQuery, Message
from sqlalchemy.ext.asyncio import AsyncSession

from bot.presentation.buttons.residents import TicketsPage
from bot.presentation.buttons.tickets import ResidentAction, ResidentTicketAction
from bot.presentation.residents import tickets as texts
from bot.services.context import Context
from bot.services.people import Actor
from bot.services.resident_tickets import ticket_view
from handlers.resident.common import replace_text
from storage.models import Person


async def show_page(
    callback: CallbackQuery,
    callback_data: TicketsPage,
    session: AsyncSession,
    ctx: Context,
    person: Person,
) -> None:
    await callback.answer()
    reply = await texts.ticket_list(session, ctx.org, person.id, callback_data.page)
    assert isinstance(callback.message, Message)
    await replace_text(callback.message, reply.text, reply_markup=reply.markup)


async def show_detail(
    callback: CallbackQuery,
    callback_data: ResidentTicketAction,
    session: AsyncSession,
    ctx: Context,
    actor: Actor,
    person: Person,
) -> None:
    view = await ticket_view(session, ctx.org, actor, callback_data.ticket_id)
    await callback.answer()
    reply = texts.detail(view, ctx.org)
    assert isinstance(callback.message, Message)
    await replace_text(callback.message, reply.text, reply_markup=reply.markup)


def build_router() -> Router:
    router = Router(name="resident.tickets")
    router.callback_query.register(show_page, TicketsPage.filter())
    router.callback_query.register(
        show_detail, ResidentTicketAction.filter(F.action == ResidentAction.VIEW)
    )
    return router
