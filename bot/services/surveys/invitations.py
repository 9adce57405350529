"""Who was asked a ticket's survey: one invitation per ticket and resident.

``lifecycle.resolve`` calls :func:`ticket_resolved` right after it asked the
resident and followers "is the problem fixed?". A resident is invited once per
ticket: a later resolution (after a re-open) asks again on the same invitation,
and nobody who has finished the survey is asked to rate again.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import (
    InvitationKind,
    InvitationStage,
    Person,
    SurveyInvitation,
    Ticket,
    TicketFollower,
)


async def _reachable_residents(session: AsyncSession, ticket: Ticket) -> list[int]:
    """The resident who filed the ticket and everyone who joined it, if we can reach them."""
    followers = select(TicketFollower.person_id).where(TicketFollower.ticket_id == ticket.id)
    rows = await session.scalars(
        select(Person.id)
        .where(
            (Person.id == ticket.resident_id) | Person.id.in_(followers),
            Person.telegram_id.is_not(None),
            Person.reachable.is_(True),
        )
        .order_by(Person.id)
    )
    return list(rows.all())


async def ticket_resolved(
    session: AsyncSession, ticket: Ticket, now: datetime, default_locale: str
) -> None:
    asked = await _reachable_residents(session, ticket)
    existing = {
        invitation.person_id: invitation
        for invitation in (
            await session.scalars(
                select(SurveyInvitation).where(SurveyInvitation.ticket_id == ticket.id)
            )
        ).all()
    }
    for person_id in asked:
        invitation = existing.get(person_id)
        if invitation is None:
            session.add(
                SurveyInvitation(
                    kind=InvitationKind.TICKET.value,
                    ticket_id=ticket.id,
                    person_id=person_id,
                    project_id=ticket.project_id,
                    sent_at=now,
                    stage=InvitationStage.ASKED.value,
                    position=0,
                    updated_at=now,
                )
            )
        elif invitation.stage != InvitationStage.DONE:
            invitation.stage = InvitationStage.ASKED.value
            invitation.ticket_version = None
            invitation.updated_at = now
    await session.flush()
