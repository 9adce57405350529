"""Queries behind the SLA sweep: find due tickets, apply each outcome exactly once.

Due tickets are found through the indexed ``tickets.next_sla_check_at``, so a
sweep costs the number of due tickets, not the size of the table. Each outcome
is written with a conditional UPDATE that names the escalation levels and the
check time the sweep saw: a second sweep (late, repeated, or in another
process) that saw the same state finds the row changed and does nothing. On
PostgreSQL the due rows are also locked with ``SKIP LOCKED`` so concurrent
sweeps share the work instead of queueing on each other; SQLite has one writer
at a time anyway.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import bindparam, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.db import rows_changed
from storage.dialect import insert_ignoring_duplicates, supports_skip_locked
from storage.models import InactiveChat, SlaNotice, Ticket
from storage.models.base import table_of
from storage.types import UtcDateTime


async def claim_due_tickets(session: AsyncSession, now: datetime, limit: int) -> list[Ticket]:
    query = (
        select(Ticket)
        .where(Ticket.next_sla_check_at <= now)
        .order_by(Ticket.next_sla_check_at, Ticket.id)
        .limit(limit)
        .execution_options(populate_existing=True)
    )
    if supports_skip_locked(session):
        query = query.with_for_update(skip_locked=True, of=Ticket)
    return list((await session.scalars(query)).all())


_TICKETS = table_of(Ticket)
# One compiled statement for every ticket (Core, not ORM: this runs once per due ticket).
_APPLY = (
    update(_TICKETS)
    .where(
        _TICKETS.c.id == bindparam("ticket_id"),
        _TICKETS.c.response_escalation_level == bindparam("seen_response"),
        _TICKETS.c.resolution_escalation_level == bindparam("seen_resolution"),
        _TICKETS.c.next_sla_check_at == bindparam("seen_check", type_=UtcDateTime()),
    )
    .values(
        response_escalation_level=bindparam("response_level"),
        resolution_escalation_level=bindparam("resolution_level"),
        next_sla_check_at=bindparam("next_check_at", type_=UtcDateTime()),
    )
)


async def apply_outcome(
    session: AsyncSession,
    ticket: Ticket,
    *,
    response_level: int,
    resolution_level: int,
    next_check_at: datetime | None,
) -> bool:
    """Move the ticket on, if it is still as the sweep saw it. True = this sweep won."""
    changed = await rows_changed(
        session,
        _APPLY,
        {
            "ticket_id": ticket.id,
            "seen_response": ticket.response_escalation_level,
            "seen_resolution": ticket.resolution_escalation_level,
            "seen_check": ticket.next_sla_check_at,
            "response_level": response_level,
            "resolution_level": resolution_level,
            "next_check_at": next_check_at,
        },
    )
    return changed == 1


async def sent_notices(
    session: AsyncSession, ticket_ids: Iterable[int]
) -> dict[int, set[tuple[str, datetime]]]:
    ids = list(ticket_ids)
    sent: dict[int, set[tuple[str, datetime]]] = {}
    if not ids:
        return sent
    rows = await session.execute(
        select(SlaNotice.ticket_id, SlaNotice.ladder, SlaNotice.deadline).where(
            SlaNotice.ticket_id.in_(ids)
        )
    )
    for ticket_id, ladder, deadline in rows:
        sent.setdefault(ticket_id, set()).add((ladder, deadline))
    return sent


async def record_notice(
    session: AsyncSession, ticket_id: int, ladder: str, deadline: datetime, now: datetime
) -> bool:
    """Remember a warning or reminder; False if it was already sent."""
    inserted = await insert_ignoring_duplicates(
        session,
        SlaNotice,
        [{"ticket_id": ticket_id, "ladder": ladder, "deadline": deadline, "sent_at": now}],
        conflict_columns=["ticket_id", "ladder", "deadline"],
    )
    return inserted == 1


async def inactive_chats(session: AsyncSession, since: datetime) -> set[int]:
    """Groups that refused a message (403) since ``since``."""
    rows = await session.scalars(select(InactiveChat.chat_id).where(InactiveChat.since >= since))
    return set(rows.all())
