"""Approve / Reject of a unit request, pressed by staff in the project's group.

Refusals (not this project's staff, already decided) go to the refusal middleware.
"""

from __future__ import annotations

from aiogram import Router
from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import gettext as _
from sqlalchemy.ext.asyncio import AsyncSession

from bot.presentation.buttons.binding import BindingDecision, Verdict
from bot.presentation.outbound.binding import decided_card_text
from bot.services.context import Context
from bot.services.people import Actor
from bot.services.unit_binding import decide
from handlers.audiences import staff_groups
from handlers.resident.common import replace_text


async def decide_binding(
    callback: CallbackQuery,
    callback_data: BindingDecision,
    session: AsyncSession,
    ctx: Context,
    actor: Actor,
) -> None:
    approve = callback_data.action is Verdict.APPROVE
    decision = await decide(session, ctx, actor, callback_data.request_id, approve)
    await callback.answer(_("Approved.") if decision.approved else _("Rejected."))
    if isinstance(callback.message, Message):
        text = decided_card_text(
            await ctx.locale_of_group(session, callback.message.chat.id), decision
        )
        await replace_text(callback.message, text, reply_markup=None)


def build_router() -> Router:
    router = staff_groups("resident.approval")
    router.callback_query.register(decide_binding, BindingDecision.filter())
    return router
