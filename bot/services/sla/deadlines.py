"""Deadlines stored on the ticket, set and moved as the ticket changes.

``bot/services/tickets/lifecycle.py`` calls these hooks inside the change's
transaction; they set the ticket's deadline columns and ``next_sla_check_at``
(the indexed "when must the sweep look at this ticket next"). Time is counted
in the ticket's project calendar (24/7 unless the organisation file gives the
project business hours); the arithmetic lives in ``policy.py`` and
``calendars.py``, the sweep that acts on due deadlines in ``sweep.py``.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.config.orgfile import Organisation
from bot.services.sla.policy import (
    Deadlines,
    Plan,
    SlaHistory,
    TicketClock,
    ceil_second,
    deadlines_from_history,
    next_check,
    plan_for,
    resume_deadline,
)
from bot.services.tickets.transitions import OPEN_STATUSES, is_open
from storage.models import OrgUnit, Ticket, TicketEvent, TicketEventKind, TicketStatus

_KEYS = "sla.project_keys"


async def project_key(session: AsyncSession, project_id: int) -> str | None:
    keys: dict[int, str | None] = session.info.setdefault(_KEYS, {})
    if project_id not in keys:
        # Most often in the session already (the ticket's project was just read).
        project = await session.get(OrgUnit, project_id)
        keys[project_id] = project.key if project is not None else None
    return keys[project_id]


async def plan_for_ticket(session: AsyncSession, org: Organisation, ticket: Ticket) -> Plan:
    return plan_for(
        org,
        await project_key(session, ticket.project_id),
        ticket.kind.value,
        ticket.category_key,
        bool(ticket.urgent),
        ticket.segment,
    )


def clock_of(ticket: Ticket) -> TicketClock:
    return TicketClock(
        is_open=is_open(ticket.status),
        first_response_due_at=ticket.first_response_due_at,
        first_responded_at=ticket.first_responded_at,
        resolution_due_at=ticket.resolution_due_at,
        resolved_at=ticket.resolved_at,
        paused_at=ticket.paused_at,
        update_due_at=ticket.update_due_at,
        response_level=ticket.response_escalation_level or 0,
        resolution_level=ticket.resolution_escalation_level or 0,
    )


def _rearm(ticket: Ticket, plan: Plan) -> None:
    ticket.next_sla_check_at = next_check(clock_of(ticket), plan)


async def arm_new_ticket(
    session: AsyncSession, ticket: Ticket, org: Organisation, now: datetime
) -> None:
    plan = await plan_for_ticket(session, org, ticket)
    _apply(ticket, deadlines_from_history(SlaHistory(now, now), plan))
    _rearm(ticket, plan)


async def record_first_response(
    session: AsyncSession, ticket: Ticket, org: Organisation, now: datetime
) -> None:
    """The first staff reply or take stops the response ladder."""
    if ticket.first_responded_at is None:
        ticket.first_responded_at = now
    _rearm(ticket, await plan_for_ticket(session, org, ticket))


async def pause(session: AsyncSession, ticket: Ticket, org: Organisation, now: datetime) -> None:
    """Waiting on the resident: the resolution clock stops."""
    if ticket.paused_at is None:
        ticket.paused_at = now
    _rearm(ticket, await plan_for_ticket(session, org, ticket))


async def resume(session: AsyncSession, ticket: Ticket, org: Organisation, now: datetime) -> None:
    """The resident answered: the clock runs again with the time that was left."""
    plan = await plan_for_ticket(session, org, ticket)
    _resume(ticket, plan, now)
    _rearm(ticket, plan)


def _resume(ticket: Ticket, plan: Plan, now: datetime) -> None:
    if ticket.paused_at is None:
        return
    if ticket.resolution_due_at is not None:
        ticket.resolution_due_at = resume_deadline(
            ticket.resolution_due_at, ticket.paused_at, now, plan
        )
    ticket.paused_seconds = (ticket.paused_seconds or 0) + int(
        (now - ticket.paused_at).total_seconds()
    )
    ticket.paused_at = None


async def resident_wrote(
    session: AsyncSession, ticket: Ticket, org: Organisation, now: datetime
) -> None:
    """A resident's follow-up starts the update clock (if the policy has one)."""
    plan = await plan_for_ticket(session, org, ticket)
    if ticket.update_due_at is None and plan.targets.update is not None:
        ticket.update_due_at = ceil_second(plan.calendar.add(now, plan.targets.update))
    _rearm(ticket, plan)


async def stop_on_resolve(
    session: AsyncSession, ticket: Ticket, org: Organisation, now: datetime
) -> None:
    plan = await plan_for_ticket(session, org, ticket)
    _resume(ticket, plan, now)
    ticket.resolved_at = now
    ticket.update_due_at = None
    _rearm(ticket, plan)


async def rearm_after_reopen(
    session: AsyncSession, ticket: Ticket, org: Organisation, now: datetime
) -> None:
    """Not fixed after all: a fresh resolution target from now, the ladder starts over."""
    plan = await plan_for_ticket(session, org, ticket)
    ticket.resolved_at = None
    ticket.paused_at = None
    ticket.resolution_due_at = ceil_second(plan.calendar.add(now, plan.targets.resolution))
    ticket.resolution_escalation_level = 0
    _rearm(ticket, plan)


def stop_all(ticket: Ticket) -> None:
    ticket.next_sla_check_at = None


# ------------------------------------------------------------------ recomputing


async def history_of(session: AsyncSession, ticket: Ticket) -> SlaHistory:
    """The facts that deadlines depend on, read from the ticket's history."""
    events = (
        await session.scalars(
            select(TicketEvent).where(TicketEvent.ticket_id == ticket.id).order_by(TicketEvent.id)
        )
    ).all()
    return history_from_events(ticket, list(events))


def history_from_events(ticket: Ticket, events: list[TicketEvent]) -> SlaHistory:
    waiting = TicketStatus.WAITING_ON_RESIDENT.value
    started = ticket.created_at
    for event in events:
        if event.kind == TicketEventKind.REOPENED.value:
            started = event.at
    pauses: list[tuple[datetime, datetime | None]] = []
    last_reply: datetime | None = None
    first_unanswered: datetime | None = None
    for event in events:
        if event.at < started:
            continue
        if event.to_status == waiting and event.from_status != waiting:
            pauses.append((event.at, None))
        elif event.from_status == waiting and pauses and pauses[-1][1] is None:
            pauses[-1] = (pauses[-1][0], event.at)
    for event in events:
        if event.kind == TicketEventKind.REPLY.value:
            last_reply, first_unanswered = event.at, None
        elif event.kind == TicketEventKind.COMMENT.value and first_unanswered is None:
            if last_reply is None or event.at >= last_reply:
                first_unanswered = event.at
    return SlaHistory(
        created_at=ticket.created_at,
        resolution_started_at=started,
        pauses=tuple(pauses),
        awaiting_answer_since=first_unanswered if ticket.update_due_at is not None else None,
    )


async def recompute_from_history(
    session: AsyncSession, ticket: Ticket, org: Organisation
) -> dict[str, list[str | None]]:
    """Deadlines as if today's policy (and the ticket's current category and
    urgency) had applied from the start. Returns what changed, as
    ``{column: [old, new]}`` in ISO format, for the history event.

    Escalation levels already reached stay: nobody is un-told.
    """
    plan = await plan_for_ticket(session, org, ticket)
    fresh = deadlines_from_history(await history_of(session, ticket), plan)
    changes: dict[str, list[str | None]] = {}
    for column in ("first_response_due_at", "resolution_due_at", "update_due_at"):
        old, new = getattr(ticket, column), getattr(fresh, column)
        if column == "update_due_at" and ticket.update_due_at is None:
            continue
        if column == "resolution_due_at" and ticket.resolved_at is not None:
            continue
        if old != new:
            changes[column] = [_iso(old), _iso(new)]
            setattr(ticket, column, new)
    _rearm(ticket, plan)
    return changes


def _apply(ticket: Ticket, deadlines: Deadlines) -> None:
    ticket.first_response_due_at = deadlines.first_response_due_at
    ticket.resolution_due_at = deadlines.resolution_due_at


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None


async def recompute_open_tickets(
    session: AsyncSession, org: Organisation, now: datetime, *, after_id: int = 0, limit: int = 500
) -> tuple[int, int]:
    """After the SLA policy changed: recompute a batch of open tickets from their history.

    Returns ``(last ticket id seen, tickets changed)``; call again with ``after_id``
    until the id is 0. Each change is a ``deadlines_changed`` event.
    """
    tickets = (
        await session.scalars(
            select(Ticket)
            .where(Ticket.id > after_id, Ticket.status.in_(list(OPEN_STATUSES)))
            .order_by(Ticket.id)
            .limit(limit)
            .with_for_update()
        )
    ).all()
    changed = 0
    for ticket in tickets:
        changes = await recompute_from_history(session, ticket, org)
        if changes:
            changed += 1
            session.add(
                TicketEvent(
                    ticket_id=ticket.id,
                    at=now,
                    kind=TicketEventKind.DEADLINES_CHANGED.value,
                    internal=True,
                    data={"policy": "changed", "deadlines": changes},
                )
            )
    return (tickets[-1].id if len(tickets) == limit else 0), changed
