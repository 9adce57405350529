"""Approve / Reject of a unit request, pressed by staff in the project's group."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import gettext as _
from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import Clock
from bot.config.orgfile import Organisation
from bot.services.access import AccessDenied
from bot.services.people import Actor
from bot.services.unit_binding import APPROVE, BindingError, decide
from handlers.resident.callbacks import BindingDecision
from handlers.resident.common import refusal, replace_text


async def decide_binding(
    callback: CallbackQuery,
    callback_data: BindingDecision,
    session: AsyncSession,
    actor: Actor,
    organisation: Organisation,
    clock: Clock,
) -> None:
    try:
        decision = await decide(
            session,
            organisation,
            actor,
            callback_data.request_id,
            callback_data.action == APPROVE,
            clock.now(),
        )
    except (AccessDenied, BindingError) as error:
        await callback.answer(refusal(error), show_alert=True)
        return
    await callback.answer(_("Approved.") if decision.approved else _("Rejected."))
    if isinstance(callback.message, Message):
        await replace_text(callback.message, decision.group_text, reply_markup=None)


def build_router() -> Router:
    router = Router(name="resident.approval")
    router.callback_query.filter(F.message.chat.type.in_({"group", "supergroup"}))
    router.callback_query.register(decide_binding, BindingDecision.filter())
    return router
