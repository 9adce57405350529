"""Staff groups: after a group became a supergroup, open tickets' cards are posted anew
(the old ones cannot be edited in the new chat); a group whose unit moved to another group
is told so."""

from __future__ import annotations

import html

from sqlalchemy.ext.asyncio import AsyncSession

from bot.i18n import N_, translate
from bot.presentation import outbox
from bot.presentation.announce import renders
from bot.presentation.outbound.staff import CARD_REF, post_card
from bot.presentation.recipients import StaffGroup
from bot.presentation.texts import unit_label
from bot.services.context import Context
from bot.services.group_binding import CardReposted, UnitMovedAway
from storage.models import OrgUnit, Person, Ticket

UNIT_MOVED_AWAY = N_(
    "ℹ️ {name} moved the staff desk of {unit} to another group. New tickets of {unit} "
    "no longer come to this group."
)


@renders(CardReposted)
async def card_reposted(session: AsyncSession, ctx: Context, notice: CardReposted) -> None:
    ticket = await session.get(Ticket, notice.ticket_id)
    assert ticket is not None
    # Edits still waiting were meant for the old card; the new one shows the current state.
    await outbox.replace_pending_edit(session, CARD_REF.format(ticket_id=ticket.id))
    await post_card(session, ctx.org, ticket, ctx.now)


@renders(UnitMovedAway)
async def unit_moved_away(session: AsyncSession, ctx: Context, notice: UnitMovedAway) -> None:
    unit = await session.get(OrgUnit, notice.unit_id)
    assert unit is not None
    mover = (
        await session.get(Person, notice.moved_by_person_id)
        if notice.moved_by_person_id is not None
        else None
    )
    locale = ctx.group_locale_of(unit.key)
    text = translate(
        locale,
        UNIT_MOVED_AWAY,
        name=html.escape((mover.full_name if mover else None) or "—"),
        unit=html.escape(unit_label(ctx.org, locale, unit.key, unit.name)),
    )
    await StaffGroup(notice.old_chat_id, notice.old_thread_id).post(session, text, now=ctx.now)
