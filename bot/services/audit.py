"""Writing the append-only audit log."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import case, exists, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.services.people import Actor
from storage.models import AuditEntry, Person, StaffMembership, Ticket

ALLOWED = "allowed"
REFUSED = "refused"


async def record(
    session: AsyncSession,
    now: datetime,
    actor: Actor | None,
    action: str,
    *,
    outcome: str = ALLOWED,
    reason: str | None = None,
    org_unit_id: int | None = None,
    ticket_id: int | None = None,
    subject_person_id: int | None = None,
    data: dict[str, Any] | None = None,
) -> None:
    session.add(
        AuditEntry(
            at=now,
            actor_telegram_id=actor.telegram_id if actor else None,
            actor_person_id=actor.person_id if actor else None,
            action=action,
            outcome=outcome,
            reason=reason,
            org_unit_id=org_unit_id,
            ticket_id=ticket_id,
            subject_person_id=subject_person_id,
            data=data,
        )
    )
    await session.flush()


async def refused(
    session: AsyncSession, now: datetime, actor: Actor | None, action: str, reason: str, **kw: Any
) -> None:
    await record(session, now, actor, action, outcome=REFUSED, reason=reason, **kw)


async def refused_about_ticket(
    session: AsyncSession,
    now: datetime,
    actor: Actor | None,
    action: str,
    reason: str,
    ticket_id: int | None,
    data: dict[str, Any],
) -> None:
    """A refusal about a ticket is filed under it and its project; an id that names no
    ticket (a forged button) is kept as data, not as a reference."""
    ticket = await session.get(Ticket, ticket_id) if ticket_id is not None else None
    if ticket_id is not None and ticket is None:
        data = {**data, "ticket_id": ticket_id}
    await refused(
        session,
        now,
        actor,
        action,
        reason,
        ticket_id=ticket.id if ticket is not None else None,
        org_unit_id=ticket.project_id if ticket is not None else None,
        data=data or None,
    )


@dataclass(frozen=True)
class AuditLine:
    """One entry as /audit shows it: who by name where they are staff (a resident by
    their Telegram id only), and the ticket by its number."""

    entry: AuditEntry
    staff_name: str | None
    ticket_number: str | None


async def entries_visible_to(
    session: AsyncSession,
    scope_unit_ids: set[int] | None,
    *,
    since: datetime,
    action_prefix: str | None = None,
    only_refused: bool = False,
    limit: int = 30,
) -> list[AuditLine]:
    """Newest first. ``scope_unit_ids=None`` means everything (headquarters)."""
    is_staff = exists().where(StaffMembership.person_id == AuditEntry.actor_person_id)
    query = (
        select(AuditEntry, case((is_staff, Person.full_name)), Ticket.number)
        .outerjoin(Person, Person.id == AuditEntry.actor_person_id)
        .outerjoin(Ticket, Ticket.id == AuditEntry.ticket_id)
        .where(AuditEntry.at >= since)
    )
    if scope_unit_ids is not None:
        query = query.where(AuditEntry.org_unit_id.in_(scope_unit_ids))
    if action_prefix:
        query = query.where(AuditEntry.action.startswith(action_prefix))
    if only_refused:
        query = query.where(AuditEntry.outcome == REFUSED)
    rows = await session.execute(query.order_by(AuditEntry.id.desc()).limit(limit))
    return [AuditLine(entry, name, number) for entry, name, number in rows]
