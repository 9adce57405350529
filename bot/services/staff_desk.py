"""The staff desk: what staff see of tickets and what their buttons may do.

Every press is checked here on the server, whatever the button says: the
presser must hold a staff role over the ticket's project, a button pressed in
a staff group must be about a ticket of that group, and a button from an older
state of the ticket is refused. Every refusal is written to the audit log
(who, what, when, why) and changes nothing else. The ticket changes themselves
are made by ``bot/services/tickets/lifecycle.py``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import and_, case, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.config.orgfile import Organisation
from bot.i18n import N_
from bot.services import access, audit, outbox
from bot.services.access import AccessDenied
from bot.services.errors import Refused
from bot.services.notifications import staff as notify_staff
from bot.services.people import Actor
from bot.services.tickets import lifecycle
from bot.services.tickets.lifecycle import AlreadyTaken, Photo, StaleAction, TicketNotFound
from bot.services.tickets.transitions import (
    OPEN_STATUSES,
    IllegalTransition,
    TicketAction,
    is_open,
    next_status,
)
from storage.models import (
    OrgLevel,
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
HISTORY_LIMIT = 40

STAFF_ONLY = N_("This is for staff only.")
NOT_PROJECT_STAFF = N_("Only staff of this ticket's project can do that.")
GROUP_NOT_BOUND = N_("This group is not a staff group.")
NOT_IN_THIS_GROUP = N_("This ticket does not belong to this group.")
ALREADY_TAKEN = N_("{name} has already taken this ticket.")
TAKEN_BY_SOMEONE = N_("Someone has already taken this ticket.")
FORGED = N_("This button is not valid.")


class NotOpen(Refused):
    """Replying to or moving a ticket that is resolved, closed or cancelled."""

    code = "not_open"

    def __init__(self, status: TicketStatus) -> None:
        # Every non-open status refuses a cancel, with the explanation of that status.
        super().__init__(IllegalTransition(status, TicketAction.CANCEL).reason)
        self.status = status


class ForgedButton(Refused):
    code = "forged"
    default_reason = reason = FORGED


class PromptNotYours(Refused):
    code = "not_your_prompt"
    default_reason = reason = N_("This prompt is not yours, or it is no longer active.")


REFUSABLE = (
    AccessDenied,
    StaleAction,
    TicketNotFound,
    IllegalTransition,
    AlreadyTaken,
    NotOpen,
    ForgedButton,
    PromptNotYours,
)


@dataclass(frozen=True)
class Refusal:
    code: str
    reason: str  # a msgid; ``values`` fill its placeholders
    values: dict[str, Any] = field(default_factory=dict)


def describe_refusal(error: Exception) -> Refusal:
    if isinstance(error, AccessDenied):
        return Refusal(error.code, error.reason)
    if isinstance(error, AlreadyTaken):
        if not error.holder_name:
            return Refusal("already_taken", TAKEN_BY_SOMEONE)
        return Refusal("already_taken", ALREADY_TAKEN, {"name": error.holder_name})
    if isinstance(error, StaleAction):
        return Refusal("stale", StaleAction.reason)
    if isinstance(error, TicketNotFound):
        return Refusal("ticket_not_found", TicketNotFound.reason)
    if isinstance(error, IllegalTransition):
        return Refusal("illegal_transition", error.reason)
    if isinstance(error, NotOpen):
        return Refusal("not_open", error.reason)
    if isinstance(error, ForgedButton):
        return Refusal("forged", FORGED)
    if isinstance(error, PromptNotYours):
        return Refusal("not_your_prompt", PromptNotYours.reason)
    raise TypeError(f"not a refusal: {error!r}")


async def refuse(
    session: AsyncSession,
    now: datetime,
    actor: Actor | None,
    action: str,
    error: Exception,
    *,
    ticket_id: int | None = None,
    data: dict[str, Any] | None = None,
) -> Refusal:
    """Write the refusal to the audit log and say why, for the person refused."""
    refusal = describe_refusal(error)
    ticket = await session.get(Ticket, ticket_id) if ticket_id is not None else None
    details = dict(data or {})
    if ticket_id is not None and ticket is None:
        details["ticket_id"] = ticket_id  # a forged id: keep it, but not as a reference
    await audit.refused(
        session,
        now,
        actor,
        action,
        refusal.code,
        ticket_id=ticket.id if ticket is not None else None,
        org_unit_id=ticket.project_id if ticket is not None else None,
        data=details or None,
    )
    return refusal


def require_staff(actor: Actor | None) -> Actor:
    if actor is None or actor.person_id is None:
        raise AccessDenied(STAFF_ONLY, code="no_role")
    if not actor.is_staff:
        raise AccessDenied(STAFF_ONLY, code="not_staff")
    return actor


@dataclass(frozen=True)
class Where:
    """Where a command or button was used: a private chat, or a group (bound or not)."""

    in_group: bool
    group_unit_id: int | None = None

    @classmethod
    def private(cls) -> Where:
        return cls(in_group=False)


async def where(session: AsyncSession, chat_id: int, chat_type: str) -> Where:
    if chat_type == "private":
        return Where.private()
    unit = await session.scalar(
        select(OrgUnit.id)
        .where(OrgUnit.group_chat_id == chat_id, OrgUnit.active.is_(True))
        .order_by(OrgUnit.id)
        .limit(1)
    )
    return Where(in_group=True, group_unit_id=unit)


async def _check_scope(session: AsyncSession, ticket: Ticket, place: Where) -> None:
    if not place.in_group:
        return
    if place.group_unit_id is None:
        raise AccessDenied(GROUP_NOT_BOUND, code="group_not_bound")
    if ticket.project_id not in await access.units_below(session, {place.group_unit_id}):
        raise AccessDenied(NOT_IN_THIS_GROUP, code="ticket_not_in_group")


async def check_press(
    session: AsyncSession,
    actor: Actor | None,
    ticket_id: int,
    version: int | None,
    action: str,
    place: Where,
) -> Ticket:
    """The ticket a button is about, if this person may press it here and now."""
    actor = require_staff(actor)
    ticket = await session.get(Ticket, ticket_id)
    if ticket is None:
        raise TicketNotFound
    await _check_scope(session, ticket, place)
    if not await access.may_work_on(session, actor, ticket):
        raise AccessDenied(NOT_PROJECT_STAFF, code="not_project_staff")
    if version is not None and ticket.version != version:
        raise StaleAction
    if action in ("reply", "reassign") and not is_open(ticket.status):
        raise NotOpen(ticket.status)
    if action == "resolve":
        next_status(ticket.status, TicketAction.RESOLVE)  # refuses with the reason
    return ticket


async def open_by_number(
    session: AsyncSession, actor: Actor | None, number: str, place: Where
) -> Ticket:
    actor = require_staff(actor)
    ticket = await lifecycle.find_by_number(session, number)
    if ticket is None:
        raise TicketNotFound
    await _check_scope(session, ticket, place)
    if not await access.may_work_on(session, actor, ticket):
        raise AccessDenied(NOT_PROJECT_STAFF, code="not_project_staff")
    return ticket


# ------------------------------------------------------------------ changes


async def take(
    session: AsyncSession, ctx: lifecycle.Context, actor: Actor, ticket_id: int, version: int
) -> Ticket:
    return await lifecycle.take(session, ctx, ticket_id, actor, version)


async def reply(
    session: AsyncSession,
    ctx: lifecycle.Context,
    actor: Actor,
    ticket_id: int,
    text: str,
    photos: list[Photo],
    *,
    ask_for_answer: bool,
    from_private_chat: bool,
) -> Ticket:
    """Relay a staff answer; one written in private also shows in the project group."""
    ticket = await lifecycle.reply_to_resident(
        session, ctx, ticket_id, actor, text, photos, ask_for_answer=ask_for_answer
    )
    if from_private_chat:
        author = await session.get(Person, actor.person_id)
        await notify_staff.answered_privately(
            session, ticket, ctx.now, ctx.group_locale, author.full_name if author else None, text
        )
    return ticket


async def note(
    session: AsyncSession, ctx: lifecycle.Context, actor: Actor, ticket_id: int, text: str
) -> Ticket:
    return await lifecycle.add_note(session, ctx, ticket_id, actor, text)


async def resolve(
    session: AsyncSession, ctx: lifecycle.Context, actor: Actor, ticket_id: int, text: str
) -> Ticket:
    """Resolved: the resident is asked whether it is fixed (by the lifecycle)."""
    return await lifecycle.resolve(session, ctx, ticket_id, actor, text)


@dataclass(frozen=True)
class Reassigned:
    ticket: Ticket
    assignee_name: str | None
    project_name: str


async def _reassigned(session: AsyncSession, ticket: Ticket) -> Reassigned:
    assignee = await session.get(Person, ticket.assignee_id) if ticket.assignee_id else None
    project = await session.get(OrgUnit, ticket.project_id)
    return Reassigned(
        ticket, assignee.full_name if assignee else None, project.name if project else ""
    )


async def reassign_to_person(
    session: AsyncSession,
    ctx: lifecycle.Context,
    actor: Actor,
    ticket_id: int,
    version: int,
    person_id: int,
) -> Reassigned:
    ticket = await session.get(Ticket, ticket_id)
    if ticket is None:
        raise TicketNotFound
    if person_id not in {o.person_id for o in await reassign_people(session, ticket)}:
        raise ForgedButton
    ticket = await lifecycle.reassign(
        session, ctx, ticket_id, actor, to_person_id=person_id, expected_version=version
    )
    await notify_staff.assigned_to_you(session, ctx.org, ticket, ctx.now, person_id, actor)
    return await _reassigned(session, ticket)


async def reassign_to_project(
    session: AsyncSession,
    ctx: lifecycle.Context,
    actor: Actor,
    ticket_id: int,
    version: int,
    project_id: int,
) -> Reassigned:
    ticket = await session.get(Ticket, ticket_id)
    if ticket is None:
        raise TicketNotFound
    if project_id not in {p.project_id for p in await reassign_projects(session, ticket)}:
        raise ForgedButton
    old_card = (ticket.card_chat_id, ticket.card_message_id)
    # Edits of the old card not yet sent would land in the old group as a new card.
    await outbox.replace_pending_edit(session, notify_staff.CARD_REF.format(ticket_id=ticket_id))
    ticket = await lifecycle.reassign(
        session, ctx, ticket_id, actor, to_project_id=project_id, expected_version=version
    )
    if old_card[0] is not None and old_card[1] is not None:
        await notify_staff.card_moved_away(
            session, ticket, ctx.now, ctx.group_locale, old_card[0], old_card[1]
        )
    return await _reassigned(session, ticket)


# ------------------------------------------------------------------ lists


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


def _next_due():
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
    actor = require_staff(actor)
    units = await access.staff_project_ids(session, actor)
    if place.in_group:
        if place.group_unit_id is None:
            raise AccessDenied(GROUP_NOT_BOUND, code="group_not_bound")
        units &= await access.units_below(session, {place.group_unit_id})
    conditions = [Ticket.project_id.in_(units), Ticket.status.in_(OPEN_STATUSES)]
    if mine:
        conditions.append(Ticket.assignee_id == actor.person_id)
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
            t.id,
            t.number,
            t.status,
            t.kind,
            t.category_key,
            t.urgent,
            due_at,
            name,
            key,
            t.version,
        )
        for t, due_at, name, key in rows
    ]
    return QueuePage(items, page, pages, total)


# ------------------------------------------------------------------ details


@dataclass(frozen=True)
class HistoryLine:
    at: datetime
    actor_name: str | None
    kind: str
    from_status: str | None
    to_status: str | None
    body: str | None
    internal: bool
    data: dict[str, Any] | None


@dataclass(frozen=True)
class TicketDetails:
    ticket: Ticket
    card_text: str  # the card as the group sees it, in the reader's language
    project_key: str
    project_name: str
    resident_name: str
    resident_phone: str | None  # only for the assignee and managers, only in private
    personal: bool
    followers: int
    lines: list[HistoryLine]
    omitted: int  # older lines left out to fit one message


async def details(
    session: AsyncSession,
    org: Organisation,
    now: datetime,
    actor: Actor,
    ticket: Ticket,
    locale: str,
    *,
    private: bool,
) -> TicketDetails:
    """The full history, notes included; personal data only where it may be shown."""
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
    events = await lifecycle.history(session, ticket.id, include_internal=True)
    people = await _names(session, {e.actor_id for e in events if e.actor_id})

    def name_of(event: TicketEvent) -> str | None:
        if event.actor_id is None:
            return None
        name = people.get(event.actor_id)
        if event.actor_id in residents and not personal:
            return notify_staff.initials(name)
        return name

    lines = [
        HistoryLine(
            e.at,
            name_of(e),
            e.kind,
            e.from_status,
            e.to_status,
            e.body,
            e.internal,
            e.data,
        )
        for e in events
    ]
    omitted = max(0, len(lines) - HISTORY_LIMIT)
    project = await session.get(OrgUnit, ticket.project_id)
    phone = resident.phone if (personal and resident is not None) else None
    full_name = resident.full_name if resident else None
    card_text, _markup = await notify_staff.render_card(session, org, ticket, locale)
    return TicketDetails(
        ticket=ticket,
        card_text=card_text,
        project_key=project.key if project else "",
        project_name=project.name if project else "",
        resident_name=(full_name or "—") if personal else notify_staff.initials(full_name),
        resident_phone=phone,
        personal=personal,
        followers=len(follower_ids),
        lines=lines[omitted:],
        omitted=omitted,
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


# ------------------------------------------------------------------ reassigning


@dataclass(frozen=True)
class StaffOption:
    person_id: int
    name: str
    role: StaffRole


@dataclass(frozen=True)
class ProjectOption:
    project_id: int
    name: str


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
        select(OrgUnit.id, OrgUnit.name)
        .where(
            OrgUnit.level == OrgLevel.PROJECT,
            OrgUnit.active.is_(True),
            OrgUnit.ticket_prefix.is_not(None),
            OrgUnit.id != ticket.project_id,
        )
        .order_by(OrgUnit.name)
    )
    return [ProjectOption(pid, name) for pid, name in rows.all()]


def context(org: Organisation, now: datetime) -> lifecycle.Context:
    # Transitional: handlers will receive the context from the middleware.
    from bot.app.context import Context

    return Context(org=org, now=now)
