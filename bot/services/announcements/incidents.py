"""Incidents (mass faults): staff make one ticket the incident of its category and
building; the open tickets of that category and building are linked to it (those
reported meanwhile too, whenever staff act on it); staff answer them all at once,
and closing the incident resolves them, which tells every linked resident (the
ticket lifecycle's own notifications, history and deadlines)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.i18n import N_
from bot.services import access, audit
from bot.services.context import Context
from bot.services.errors import Refused
from bot.services.people import Actor
from bot.services.tickets import lifecycle
from bot.services.tickets.transitions import is_open
from storage.models import (
    Incident,
    IncidentTicket,
    PropertyUnit,
    Ticket,
    TicketStatus,
)


class UnknownTicketNumber(Refused):
    code = "incident_unknown_ticket"
    audited = False
    default_reason = N_("There is no ticket {number}.")


class NotAnIncident(Refused):
    code = "incident_none"
    audited = False
    default_reason = N_("{number} is not an incident. Make it one first: /incident {number}")


class IncidentClosed(Refused):
    code = "incident_closed"
    audited = False
    default_reason = N_("The incident of {number} is already closed.")


@dataclass(frozen=True)
class IncidentSummary:
    number: str
    category_key: str | None
    linked: tuple[str, ...]  # numbers of the linked tickets, the incident's own first
    answered: int = 0
    closed: bool = False


async def _ticket(session: AsyncSession, actor: Actor | None, number: str) -> Ticket:
    ticket = await session.scalar(select(Ticket).where(Ticket.number == number.strip().upper()))
    if ticket is None:
        raise UnknownTicketNumber(number=number.strip())
    staff = access.require_staff(actor)
    if not await access.may_work_on(session, staff, ticket):
        raise access.NotProjectStaff()
    return ticket


async def _building_of(session: AsyncSession, ticket: Ticket) -> int | None:
    if ticket.property_unit_id is None:
        return None
    return await session.scalar(
        select(PropertyUnit.building_id).where(PropertyUnit.id == ticket.property_unit_id)
    )


async def _link_meanwhile(session: AsyncSession, ctx: Context, incident: Incident) -> list[Ticket]:
    """Link the open tickets of the incident's category and building; all linked ones."""
    candidates = (
        await session.scalars(
            select(Ticket)
            .outerjoin(PropertyUnit, PropertyUnit.id == Ticket.property_unit_id)
            .where(
                Ticket.project_id == incident.project_id,
                Ticket.category_key == incident.category_key,
                Ticket.status.not_in((TicketStatus.CLOSED, TicketStatus.CANCELLED)),
                *(
                    [PropertyUnit.building_id == incident.building_id]
                    if incident.building_id is not None
                    else []
                ),
            )
        )
    ).all()
    linked = set(
        (
            await session.scalars(
                select(IncidentTicket.ticket_id).where(IncidentTicket.incident_id == incident.id)
            )
        ).all()
    )
    for ticket in candidates:
        if ticket.id not in linked and is_open(ticket.status):
            session.add(
                IncidentTicket(incident_id=incident.id, ticket_id=ticket.id, linked_at=ctx.now)
            )
            linked.add(ticket.id)
    await session.flush()
    tickets = (
        await session.scalars(select(Ticket).where(Ticket.id.in_(linked)).order_by(Ticket.id))
    ).all()
    return sorted(tickets, key=lambda t: (t.id != incident.ticket_id, t.id))


async def open_incident(
    session: AsyncSession, ctx: Context, actor: Actor | None, number: str
) -> IncidentSummary:
    """Make the ticket an incident (again: just link what was reported meanwhile)."""
    ticket = await _ticket(session, actor, number)
    incident = await session.scalar(select(Incident).where(Incident.ticket_id == ticket.id))
    if incident is None:
        incident = Incident(
            ticket_id=ticket.id,
            project_id=ticket.project_id,
            building_id=await _building_of(session, ticket),
            category_key=ticket.category_key,
            opened_by_id=actor.person_id if actor else None,
            opened_at=ctx.now,
        )
        session.add(incident)
        await session.flush()
        await audit.record(
            session, ctx.now, actor, "incident.open", ticket_id=ticket.id,
            org_unit_id=ticket.project_id, data={"incident": incident.id},
        )  # fmt: skip
    if incident.closed_at is not None:
        raise IncidentClosed(number=ticket.number)
    linked = await _link_meanwhile(session, ctx, incident)
    return IncidentSummary(ticket.number, incident.category_key, tuple(t.number for t in linked))


async def _open_incident_of(
    session: AsyncSession, actor: Actor | None, number: str
) -> tuple[Ticket, Incident]:
    ticket = await _ticket(session, actor, number)
    incident = await session.scalar(
        select(Incident)
        .join(IncidentTicket, IncidentTicket.incident_id == Incident.id)
        .where(IncidentTicket.ticket_id == ticket.id)
    )
    if incident is None:
        raise NotAnIncident(number=ticket.number)
    if incident.closed_at is not None:
        raise IncidentClosed(number=ticket.number)
    return ticket, incident


async def answer_all(
    session: AsyncSession,
    ctx: Context,
    actor: Actor | None,
    number: str,
    text: str,
    *,
    close: bool = False,
) -> IncidentSummary:
    """Answer every open linked ticket with ``text`` (``close``: resolve them all and
    close the incident); each resident hears it as the answer to their own ticket."""
    _ticket_of, incident = await _open_incident_of(session, actor, number)
    linked = await _link_meanwhile(session, ctx, incident)
    answered = 0
    for ticket in linked:
        if not is_open(ticket.status):
            continue
        if close:
            if ticket.status is TicketStatus.NEW:
                await lifecycle.take(session, ctx, ticket.id, actor, ticket.version)
            await lifecycle.resolve(session, ctx, ticket.id, actor, text)
        else:
            await lifecycle.reply_to_resident(session, ctx, ticket.id, actor, text)
        answered += 1
    if close:
        incident.closed_at = ctx.now
        incident.closed_by_id = actor.person_id if actor else None
    await audit.record(
        session, ctx.now, actor, "incident.close" if close else "incident.answer",
        ticket_id=incident.ticket_id, org_unit_id=incident.project_id,
        data={"incident": incident.id, "tickets": answered},
    )  # fmt: skip
    origin = await session.get(Ticket, incident.ticket_id)
    assert origin is not None
    return IncidentSummary(
        origin.number, incident.category_key, tuple(t.number for t in linked), answered, close
    )
