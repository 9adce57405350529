"""What staff read about tickets: the queue, one ticket's details, the reassign and
category options, and the ticket a button or command is about (authorised).

Reading changes nothing; the one write here is the audit line recording that
personal data was shown (:func:`record_personal_view`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, case, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.config.orgfile import Organisation
from bot.config.orgfile.models import Category
from bot.services import access, audit
from bot.services.access import Where
from bot.services.errors import Refused
from bot.services.people import Actor
from bot.services.resident_units import PROJECT_TAKES_TICKETS
from bot.services.surveys.answers import Feedback, ticket_feedback
from bot.services.tickets.numbering import typed_number
from bot.services.tickets.refusals import NotOpen, StaleAction, TicketNotFound
from bot.services.tickets.transitions import OPEN_STATUSES, TicketAction, is_open, next_status
from storage.models import (
    OrgUnit,
    Person,
    StaffMembership,
    StaffRole,
    Ticket,
    TicketEvent,
    TicketFollower,
    TicketKind,
    TicketStatus,
)

PAGE_SIZE = 8


async def find_by_number(session: AsyncSession, number: str) -> Ticket | None:
    """The ticket with this number, as staff type it ("sg-123" is SG-000123)."""
    wanted = typed_number(number) or number.strip().upper()
    return await session.scalar(select(Ticket).where(Ticket.number == wanted))


async def history(
    session: AsyncSession, ticket_id: int, *, include_internal: bool
) -> list[TicketEvent]:
    query = select(TicketEvent).where(TicketEvent.ticket_id == ticket_id).order_by(TicketEvent.id)
    if not include_internal:
        query = query.where(TicketEvent.internal.is_(False))
    return list((await session.scalars(query)).all())


# ------------------------------------------------------------------ one ticket, for staff


async def staff_ticket(
    session: AsyncSession,
    actor: Actor | None,
    place: Where,
    *,
    ticket_id: int | None = None,
    number: str | None = None,
    version: int | None = None,
    open_only: bool = False,
    next_action: TicketAction | None = None,
) -> tuple[Actor, Ticket]:
    """The ticket a staff button (by id) or command (by number) is about, if this
    person may work on it here; with ``version``, only if the button is current.
    Before asking for a reply or a reason, ``open_only`` refuses a ticket no longer
    open and ``next_action`` one whose status does not allow that action."""
    try:
        staff = access.require_staff(actor)
        if ticket_id is not None:
            ticket = await session.get(Ticket, ticket_id)
        else:
            ticket = await find_by_number(session, number or "")
        if ticket is None:
            raise TicketNotFound
        await access.check_staff_on(session, staff, ticket, place)
        _check_state(ticket, version, open_only, next_action)
    except Refused as refusal:
        refusal.ticket_id = refusal.ticket_id or ticket_id  # for the audit log
        raise
    return staff, ticket


def _check_state(
    ticket: Ticket, version: int | None, open_only: bool, next_action: TicketAction | None
) -> None:
    if version is not None and ticket.version != version:
        raise StaleAction
    if open_only and not is_open(ticket.status):
        raise NotOpen(ticket.status)
    if next_action is not None:
        next_status(ticket.status, next_action)  # refuses with the status's reason


# ------------------------------------------------------------------ the queue


@dataclass(frozen=True)
class QueueItem:
    ticket_id: int
    number: str
    status: TicketStatus
    kind: TicketKind
    category_key: str | None
    urgent: bool
    due_at: datetime | None
    assignee_name: str | None
    project_key: str
    version: int


@dataclass(frozen=True)
class QueuePage:
    items: list[QueueItem]
    page: int
    pages: int
    total: int
    projects: int = 1  # how many projects the queue spans (more than one: each item says which)


def _next_due() -> ColumnElement[Any]:
    """The deadline staff must meet next: first response until there is one, then resolution."""
    return case(
        (
            and_(Ticket.first_responded_at.is_(None), Ticket.first_response_due_at.is_not(None)),
            Ticket.first_response_due_at,
        ),
        else_=Ticket.resolution_due_at,
    )


async def queue(
    session: AsyncSession,
    actor: Actor | None,
    place: Where,
    *,
    mine: bool = False,
    page: int = 0,
    page_size: int = PAGE_SIZE,
) -> QueuePage:
    """Open tickets of the person's units (in a group: of that group's units too),
    soonest deadline first; ``mine``: only those assigned to them."""
    staff = access.require_staff(actor)
    units = await access.staff_project_ids(session, staff)
    in_group = await access.group_units(session, place)
    if in_group is not None:
        units &= in_group
    conditions: list[ColumnElement[bool]] = [
        Ticket.project_id.in_(units),
        Ticket.status.in_(OPEN_STATUSES),
    ]
    if mine:
        conditions.append(Ticket.assignee_id == staff.person_id)
    total = await session.scalar(select(func.count()).select_from(Ticket).where(*conditions)) or 0
    pages = max(1, math.ceil(total / page_size))
    page = min(max(page, 0), pages - 1)
    due = _next_due()
    rows = (
        await session.execute(
            select(Ticket, due.label("due"), Person.full_name, OrgUnit.key)
            .join(Person, Person.id == Ticket.assignee_id, isouter=True)
            .join(OrgUnit, OrgUnit.id == Ticket.project_id)
            .where(*conditions)
            # NULL deadlines last, on both databases.
            .order_by(case((due.is_(None), 1), else_=0), due, Ticket.id)
            .offset(page * page_size)
            .limit(page_size)
        )
    ).all()
    items = [
        QueueItem(
            t.id, t.number, t.status, t.kind, t.category_key, t.urgent, due_at, name, key, t.version
        )
        for t, due_at, name, key in rows
    ]
    return QueuePage(items, page, pages, total, projects=len(units))


# ------------------------------------------------------------------ details


@dataclass(frozen=True)
class HistoryLine:
    at: datetime
    actor_name: str | None
    by_resident: bool  # a resident's name is shown only where personal data may be
    kind: str
    from_status: str | None
    to_status: str | None
    body: str | None
    internal: bool
    data: dict[str, Any] | None


@dataclass(frozen=True)
class TicketDetails:
    ticket: Ticket
    project_key: str
    project_name: str
    resident_name: str | None  # only when ``personal``
    resident_phone: str | None  # only when ``personal``
    personal: bool  # the reader may see the resident's name and phone
    followers: int
    lines: list[HistoryLine]  # the whole history, oldest first
    feedback: list[Feedback]  # survey answers about it, first answered first


async def details(
    session: AsyncSession, actor: Actor, ticket: Ticket, *, private: bool
) -> TicketDetails:
    """The full history, notes included; personal data only where it may be shown
    (in a private chat, to the assignee and managers)."""
    personal = private and await access.may_see_phone(session, actor, ticket)
    resident = await session.get(Person, ticket.resident_id) if ticket.resident_id else None
    follower_ids = set(
        (
            await session.scalars(
                select(TicketFollower.person_id).where(TicketFollower.ticket_id == ticket.id)
            )
        ).all()
    )
    residents = follower_ids | ({resident.id} if resident else set())
    events = await history(session, ticket.id, include_internal=True)
    people = await _names(session, {e.actor_id for e in events if e.actor_id})
    lines = [
        HistoryLine(
            e.at,
            people.get(e.actor_id) if e.actor_id is not None else None,
            e.actor_id in residents,
            e.kind,
            e.from_status,
            e.to_status,
            e.body,
            e.internal,
            e.data,
        )
        for e in events
    ]
    project = await session.get(OrgUnit, ticket.project_id)
    return TicketDetails(
        ticket=ticket,
        project_key=project.key if project else "",
        project_name=project.name if project else "",
        resident_name=resident.full_name if (personal and resident is not None) else None,
        resident_phone=resident.phone if (personal and resident is not None) else None,
        personal=personal,
        followers=len(follower_ids),
        lines=lines,
        feedback=await ticket_feedback(session, ticket),
    )


async def record_personal_view(
    session: AsyncSession, now: datetime, actor: Actor, info: TicketDetails
) -> None:
    """Shown: the resident's name and phone reached a staff member (audited)."""
    if not info.personal or info.ticket.resident_id is None:
        return
    await audit.record(
        session,
        now,
        actor,
        "personal_data.view",
        org_unit_id=info.ticket.project_id,
        ticket_id=info.ticket.id,
        subject_person_id=info.ticket.resident_id,
        data={"fields": ["full_name", "phone"]},
    )


async def _names(session: AsyncSession, ids: set[int]) -> dict[int, str | None]:
    if not ids:
        return {}
    rows = await session.execute(select(Person.id, Person.full_name).where(Person.id.in_(ids)))
    return {person_id: name for person_id, name in rows.all()}


@dataclass(frozen=True)
class Whereabouts:
    """Who has a ticket now and in which project: what a reassignment is confirmed with."""

    number: str
    assignee_name: str | None
    project_name: str  # as stored; presentation reads the name in its language by the key
    project_key: str = ""


async def whereabouts(session: AsyncSession, ticket: Ticket) -> Whereabouts:
    assignee = await session.get(Person, ticket.assignee_id) if ticket.assignee_id else None
    project = await session.get(OrgUnit, ticket.project_id)
    return Whereabouts(
        ticket.number,
        assignee.full_name if assignee else None,
        project.name if project else "",
        project.key if project else "",
    )


# ------------------------------------------------------------------ options


@dataclass(frozen=True)
class StaffOption:
    person_id: int
    name: str
    role: StaffRole


@dataclass(frozen=True)
class ProjectOption:
    project_id: int
    name: str  # as stored; presentation reads the name in its language by the key
    key: str = ""


async def reassign_people(session: AsyncSession, ticket: Ticket) -> list[StaffOption]:
    """Active staff of the ticket's project, except whoever holds it now."""
    rows = await session.execute(
        select(Person.id, Person.full_name, StaffMembership.role)
        .join(StaffMembership, StaffMembership.person_id == Person.id)
        .where(
            StaffMembership.org_unit_id == ticket.project_id,
            StaffMembership.active.is_(True),
            Person.telegram_id.is_not(None),
        )
        .order_by(Person.full_name, Person.id)
    )
    return [
        StaffOption(pid, name or "—", role)
        for pid, name, role in rows.all()
        if pid != ticket.assignee_id
    ]


async def reassign_projects(session: AsyncSession, ticket: Ticket) -> list[ProjectOption]:
    rows = await session.execute(
        select(OrgUnit.id, OrgUnit.name, OrgUnit.key)
        .where(*PROJECT_TAKES_TICKETS, OrgUnit.id != ticket.project_id)
        .order_by(OrgUnit.name)
    )
    return [ProjectOption(pid, name, key) for pid, name, key in rows.all()]


def category_options(org: Organisation, ticket: Ticket) -> list[Category]:
    """The categories a ticket of its kind may have."""
    return [c for c in org.categories if c.accepts(ticket.kind)]
