"""A resident's own tickets: the paged list, one ticket's detail and its history.

A resident sees the tickets they filed or joined, nothing else; in a joined
ticket, what other residents wrote stays private.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import Integer, and_, bindparam, case, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from bot.config.orgfile import Organisation
from bot.services import access
from bot.services.context import Context
from bot.services.people import Actor
from bot.services.resident_units import project_name, unit_label
from bot.services.tickets import lifecycle
from bot.services.tickets.lifecycle import Photo
from bot.services.tickets.queries import TicketNotFound, find_by_number, history
from bot.services.tickets.refusals import StaleAction
from bot.services.tickets.transitions import OPEN_STATUSES, is_open, takes_comments
from storage.models import (
    Attachment,
    OrgUnit,
    Ticket,
    TicketEventKind,
    TicketFollower,
    TicketStatus,
)

PAGE_SIZE = 5
# Open tickets (and resolved ones waiting for the resident's word) come first.
ACTIVE_STATUSES = frozenset(OPEN_STATUSES | {TicketStatus.RESOLVED})
SHOWN_EVENTS = frozenset(
    {
        TicketEventKind.CREATED,
        TicketEventKind.STATUS_CHANGED,
        TicketEventKind.ASSIGNED,
        TicketEventKind.REPLY,
        TicketEventKind.COMMENT,
        TicketEventKind.REOPENED,
        TicketEventKind.CANCELLED,
        TicketEventKind.FOLLOWER_JOINED,
    }
)


@dataclass(frozen=True)
class TicketRow:
    id: int
    number: str
    status: TicketStatus
    category_key: str | None
    # None for a joined ticket (a neighbour's words stay theirs) and for a follow-up of a
    # low rating (written for the staff who call back: ``follow_up_of`` says what it is).
    description: str | None
    follow_up_of: str | None = None  # the rated ticket's number


@dataclass(frozen=True)
class TicketPage:
    rows: list[TicketRow]
    page: int
    pages: int
    total: int


@dataclass(frozen=True)
class HistoryLine:
    at: datetime
    kind: TicketEventKind
    body: str | None
    to_status: TicketStatus | None
    mine: bool


@dataclass(frozen=True)
class TicketView:
    ticket: Ticket
    is_owner: bool
    place: str
    zone: ZoneInfo
    photos: int
    history: list[HistoryLine]
    follow_up_of: str | None = None  # a low rating's follow-up: the rated ticket's number


# A resident's tickets: those they filed and those they follow. Built once (My tickets
# is among the commonest presses; building the statements cost as much as running them).
_MINE = or_(
    Ticket.resident_id == bindparam("person_id"),
    Ticket.id.in_(
        select(TicketFollower.ticket_id).where(TicketFollower.person_id == bindparam("person_id"))
    ),
)
_COUNT_MINE = select(func.count()).where(_MINE)
# One page and, on each row, how many there are in all (a window over the whole match,
# counted before the page is cut): one statement where a count and a page were two. A
# joined ticket's description is not even read.
_RATED = aliased(Ticket)
_PAGE_OF_MINE = (
    select(
        Ticket.id,
        Ticket.number,
        Ticket.status,
        Ticket.category_key,
        case(
            (
                and_(
                    Ticket.resident_id == bindparam("person_id"), Ticket.parent_ticket_id.is_(None)
                ),
                Ticket.description,
            ),
            else_=None,
        ),
        select(_RATED.number).where(_RATED.id == Ticket.parent_ticket_id).scalar_subquery(),
        func.count().over(),
    )
    .where(_MINE)
    .order_by(
        case((Ticket.status.in_(ACTIVE_STATUSES), 0), else_=1),  # the active ones first
        Ticket.created_at.desc(),
        Ticket.id.desc(),
    )
    .offset(bindparam("offset", type_=Integer))
    .limit(PAGE_SIZE)
)


async def my_tickets(session: AsyncSession, person_id: int, page: int) -> TicketPage:
    page = max(page, 0)
    rows = (await session.execute(_PAGE_OF_MINE, _page_params(person_id, page))).all()
    if not rows and page > 0:
        # Past the end (tickets went away since the list was shown): the last page.
        total = int(await session.scalar(_COUNT_MINE, {"person_id": person_id}) or 0)
        page = max(0, _pages(total) - 1)
        rows = (await session.execute(_PAGE_OF_MINE, _page_params(person_id, page))).all()
    total = rows[0][-1] if rows else 0
    return TicketPage([TicketRow(*row[:-1]) for row in rows], page, _pages(total), total)


def _page_params(person_id: int, page: int) -> dict[str, int]:
    return {"person_id": person_id, "offset": page * PAGE_SIZE}


def _pages(total: int) -> int:
    return max(1, -(-total // PAGE_SIZE))


async def _place(session: AsyncSession, ticket: Ticket, org: Organisation, locale: str) -> str:
    """The unit (and the words saying where in it); without a unit, the property's common
    area: its name and the words ("阳光花园 – 3号楼电梯"), as the filing summary had it."""
    if ticket.property_unit_id is None:
        project = await project_name(session, ticket.project_id, org, locale)
        return f"{project} – {ticket.location_text}" if ticket.location_text else project
    parts = []
    label = await unit_label(session, ticket.property_unit_id)
    if label is not None:
        parts.append(label.named_for(org, locale).short)
    if ticket.location_text:
        parts.append(ticket.location_text)
    return " / ".join(parts)


async def typed_ticket_view(
    session: AsyncSession, org: Organisation, actor: Actor, number: str, locale: str = ""
) -> TicketView | None:
    """The resident's own ticket (or one they joined) whose number they typed ("sg-3");
    None when there is none of theirs: whether it is someone else's is not said."""
    ticket = await find_by_number(session, number)
    if ticket is None or not await access.is_resident_party(session, actor, ticket):
        return None
    return await ticket_view(session, org, actor, ticket.id, locale)


async def ticket_view(
    session: AsyncSession, org: Organisation, actor: Actor, ticket_id: int, locale: str = ""
) -> TicketView:
    """The ticket as its resident (or a neighbour who joined it) may see it (its place
    named as people of ``locale`` read it)."""
    ticket = await session.get(Ticket, ticket_id, populate_existing=True)
    if ticket is None:
        raise TicketNotFound
    if not await access.is_resident_party(session, actor, ticket):
        raise access.NotOwnTicket
    events = await history(session, ticket.id, include_internal=False)
    lines = []
    for event in events:
        kind = TicketEventKind(event.kind)
        if kind not in SHOWN_EVENTS:
            continue
        mine = event.actor_id is not None and event.actor_id == actor.person_id
        body = event.body
        if kind in (TicketEventKind.COMMENT, TicketEventKind.CREATED) and not mine:
            body = None  # a neighbour's own words stay theirs
        to_status = TicketStatus(event.to_status) if event.to_status else None
        lines.append(HistoryLine(event.at, kind, body, to_status, mine))
    photos = await session.scalar(select(func.count()).where(Attachment.ticket_id == ticket.id))
    rated = await session.get(Ticket, ticket.parent_ticket_id) if ticket.parent_ticket_id else None
    return TicketView(
        ticket=ticket,
        is_owner=ticket.resident_id == actor.person_id,
        place=await _place(session, ticket, org, locale),
        zone=await project_zone(session, org, ticket.project_id),
        photos=int(photos or 0),
        history=lines,  # all of it: the detail is paged
        follow_up_of=rated.number if rated is not None else None,
    )


async def project_zone(session: AsyncSession, org: Organisation, project_id: int) -> ZoneInfo:
    project = await session.get(OrgUnit, project_id)
    try:
        return org.zone(project.key if project else None)
    except KeyError:  # a project no longer in the organisation file
        return org.zone()


class FollowUp(enum.StrEnum):
    """What a resident does to their ticket in words: comment, cancel, or say it is not fixed."""

    COMMENT = "comment"
    CANCEL = "cancel"
    REOPEN = "reopen"


def check_follow_up(view: TicketView, kind: FollowUp, version: int) -> None:
    """Refuse asking for the words of something the ticket no longer allows."""
    ticket = view.ticket
    possible = {
        FollowUp.COMMENT: takes_comments(ticket.status),
        FollowUp.CANCEL: is_open(ticket.status) and view.is_owner,
        FollowUp.REOPEN: ticket.status is TicketStatus.RESOLVED and ticket.version == version,
    }[kind]
    if not possible:
        raise StaleAction()


async def follow_up(
    session: AsyncSession,
    ctx: Context,
    actor: Actor,
    kind: FollowUp,
    ticket_id: int,
    text: str,
    *,
    photos: list[Photo] | None = None,
    version: int | None = None,
) -> Ticket:
    """The comment (with its photos), the cancellation or the re-opening, with its words."""
    if kind is FollowUp.COMMENT:
        return await lifecycle.add_resident_comment(session, ctx, ticket_id, actor, text, photos)
    if kind is FollowUp.CANCEL:
        return await lifecycle.cancel_by_resident(session, ctx, ticket_id, actor, text)
    return await lifecycle.reopen(session, ctx, ticket_id, actor, text, expected_version=version)
