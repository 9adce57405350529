"""Residents' data rights as staff groups see them: a ticket whose resident was erased
says so, without saying who."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from bot.i18n import N_
from bot.presentation.announce import renders
from bot.presentation.outbound.staff import tell_group
from bot.services.context import Context
from bot.services.privacy.erasure import ResidentLeft
from storage.models import Ticket

RESIDENT_LEFT = N_("ℹ️ {number}: the resident has left and their personal data was erased.")


@renders(ResidentLeft)
async def resident_left(session: AsyncSession, ctx: Context, notice: ResidentLeft) -> None:
    ticket = await session.get(Ticket, notice.ticket_id)
    assert ticket is not None
    await tell_group(session, ctx, ticket, RESIDENT_LEFT)
