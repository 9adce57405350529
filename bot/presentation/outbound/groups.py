"""Staff groups: after a group became a supergroup, open tickets' cards are posted anew
(the old ones cannot be edited in the new chat)."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from bot.presentation import outbox
from bot.presentation.announce import renders
from bot.presentation.outbound.staff import CARD_REF, post_card
from bot.services.context import Context
from bot.services.group_binding import CardReposted
from storage.models import Ticket


@renders(CardReposted)
async def card_reposted(session: AsyncSession, ctx: Context, notice: CardReposted) -> None:
    ticket = await session.get(Ticket, notice.ticket_id)
    assert ticket is not None
    # Edits still waiting were meant for the old card; the new one shows the current state.
    await outbox.replace_pending_edit(session, CARD_REF.format(ticket_id=ticket.id))
    await post_card(session, ctx.org, ticket, ctx.now, ctx.group_locale)
