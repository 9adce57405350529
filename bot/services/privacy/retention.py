"""Storage limitation: personal data is not kept longer than the organisation says.

- Residents inactive for ``[residents] personal_data_kept_for`` are erased.
- Tickets closed for ``closed_ticket_text_kept_for`` lose the text residents
  wrote and their photos; timings and ratings stay for statistics.
- Telegram updates parked as failed are forgotten after the time handled ones are
  (``storage.inbox.HANDLED_UPDATES_KEPT_FOR``), with their count in the audit log.
Each run handles a bounded batch, so a first run on an old database cannot
hold the database for long; the next run continues.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.services import audit
from bot.services.context import Context
from bot.services.privacy.erasure import ERASED_TEXT, erase_person
from storage import inbox
from storage.models import Attachment, Person, StaffMembership, Ticket, TicketEvent, TicketStatus

BATCH = 200


@dataclass
class RetentionReport:
    people_erased: int = 0
    tickets_stripped: int = 0
    failed_updates_purged: int = 0


async def apply_retention(session: AsyncSession, ctx: Context) -> RetentionReport:
    report = RetentionReport()
    now = ctx.now
    policy = ctx.org.residents
    inactive_since = now - policy.personal_data_kept_for
    staff_ids = select(StaffMembership.person_id).where(StaffMembership.active.is_(True))
    people = (
        await session.scalars(
            select(Person)
            .where(
                Person.erased_at.is_(None),
                Person.telegram_id.is_not(None),
                func.coalesce(Person.last_seen_at, Person.created_at) < inactive_since,
                Person.id.not_in(staff_ids),
            )
            .limit(BATCH)
        )
    ).all()
    for person in people:
        await erase_person(session, ctx, person, reason="retention")
        report.people_erased += 1

    closed_before = now - policy.closed_ticket_text_kept_for
    tickets = (
        await session.scalars(
            select(Ticket)
            .where(
                Ticket.status.in_([TicketStatus.CLOSED, TicketStatus.CANCELLED]),
                Ticket.closed_at < closed_before,
                Ticket.personal_data_stripped_at.is_(None),
            )
            .limit(BATCH)
        )
    ).all()
    for ticket in tickets:
        await strip_ticket(session, ticket, now)
        report.tickets_stripped += 1

    report.failed_updates_purged = await purge_failed_updates(session, now)
    await session.flush()
    return report


async def purge_failed_updates(session: AsyncSession, now: datetime) -> int:
    """Forget Telegram updates that could not be handled, once no duplicate can arrive;
    the audit log keeps how many there were."""
    purged = await inbox.purge_failed(session, now - inbox.HANDLED_UPDATES_KEPT_FOR)
    if purged:
        await audit.record(
            session, now, None, "inbox.failed_updates_purged", data={"count": purged}
        )
    return purged


async def strip_ticket(session: AsyncSession, ticket: Ticket, now: datetime) -> None:
    ticket.description = ERASED_TEXT
    ticket.location_text = None
    if ticket.cancel_reason is not None:  # a resident's words, or words about them
        ticket.cancel_reason = ERASED_TEXT
    ticket.personal_data_stripped_at = now
    residents_wrote = TicketEvent.kind.in_(["created", "comment", "reopened", "cancelled"])
    await session.execute(
        update(TicketEvent)
        .where(TicketEvent.ticket_id == ticket.id, residents_wrote, TicketEvent.body.is_not(None))
        .values(body=ERASED_TEXT)
    )
    await session.execute(delete(Attachment).where(Attachment.ticket_id == ticket.id))
