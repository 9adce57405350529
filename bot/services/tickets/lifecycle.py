"""Every change to a ticket: authorised, checked, recorded in its history, and announced.

This is the only command API for tickets. Each staff command authorises its actor
once (``access.require_staff`` and ``access.check_staff_on``: a staff role over the
ticket's project and, used in a group, a ticket of that group); residents' commands
check that the ticket is theirs. Each function takes the update's session and
commits nothing itself: the change, its history event and the notices it
announces are committed together by the caller's transaction. Tickets are locked
for the change (``SELECT … FOR UPDATE`` on PostgreSQL; SQLite serialises writers),
so two staff pressing "Take" at once see exactly one winner.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.services import access
from bot.services.access import NotOwnTicket, NotTicketOwner, Where
from bot.services.context import Context
from bot.services.people import Actor
from bot.services.sla import deadlines
from bot.services.surveys import invitations as survey_invitations
from bot.services.tickets import queries
from bot.services.tickets.notices import (
    AnsweredInPrivate,
    CancelledByResident,
    CancelledByStaff,
    ResidentCommented,
    StaffReplied,
    StatusChanged,
    TicketAssigned,
    TicketChanged,
    TicketFiled,
    TicketMoved,
    TicketReclassified,
    TicketReopened,
    TicketResolved,
)
from bot.services.tickets.numbering import allocate_number
from bot.services.tickets.refusals import (
    AlreadyTaken,
    ForgedButton,
    StaleAction,
    TicketNotFound,
    about_ticket,
)
from bot.services.tickets.transitions import (
    FINAL_STATUSES,
    TicketAction,
    is_open,
    next_status,
    takes_comments,
)
from storage.models import (
    Attachment,
    OrgUnit,
    Person,
    Ticket,
    TicketEvent,
    TicketEventKind,
    TicketFollower,
    TicketKind,
    TicketStatus,
)

__all__ = ["AlreadyTaken", "StaleAction", "TicketNotFound"]  # refusals callers catch


@dataclass(frozen=True)
class Photo:
    file_id: str
    file_unique_id: str | None = None


@dataclass
class TicketDraft:
    project_id: int
    kind: TicketKind
    description: str
    category_key: str | None = None
    urgent: bool = False
    property_unit_id: int | None = None
    location_text: str | None = None
    photos: list[Photo] = field(default_factory=list)


# ------------------------------------------------------------------ reading


async def load_for_update(session: AsyncSession, ticket_id: int) -> Ticket:
    ticket = await session.scalar(
        select(Ticket)
        .where(Ticket.id == ticket_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    if ticket is None:
        raise TicketNotFound
    return ticket


def _check_version(ticket: Ticket, expected_version: int | None) -> None:
    if expected_version is not None and ticket.version != expected_version:
        raise StaleAction


async def _staff_ticket(
    session: AsyncSession, actor: Actor | None, ticket_id: int, place: Where | None
) -> tuple[Actor, Ticket]:
    """The ticket, locked, if this person may act on it as staff (the one check)."""
    staff = access.require_staff(actor)
    ticket = await load_for_update(session, ticket_id)
    await access.check_staff_on(session, staff, ticket, place)
    return staff, ticket


async def _open_staff_ticket(
    session: AsyncSession,
    actor: Actor | None,
    ticket_id: int,
    place: Where | None,
    expected_version: int | None,
) -> tuple[Actor, Ticket]:
    """As :func:`_staff_ticket`, for changes that only an open ticket, as shown, can take."""
    staff, ticket = await _staff_ticket(session, actor, ticket_id, place)
    _check_version(ticket, expected_version)
    if not is_open(ticket.status):
        raise StaleAction
    return staff, ticket


async def _resident_ticket(
    session: AsyncSession, actor: Actor, ticket_id: int, expected_version: int | None = None
) -> Ticket:
    """The ticket, locked, if this resident filed or joined it (and it is as shown)."""
    ticket = await load_for_update(session, ticket_id)
    if not await access.is_resident_party(session, actor, ticket):
        raise NotOwnTicket
    _check_version(ticket, expected_version)
    return ticket


def _event(
    ticket: Ticket,
    ctx: Context,
    kind: TicketEventKind,
    actor_id: int | None,
    *,
    body: str | None = None,
    internal: bool = False,
    from_status: TicketStatus | None = None,
    data: dict[str, Any] | None = None,
) -> TicketEvent:
    event = TicketEvent(
        ticket_id=ticket.id,
        at=ctx.now,
        actor_id=actor_id,
        kind=kind.value,
        body=body,
        internal=internal,
        from_status=from_status.value if from_status else None,
        to_status=ticket.status.value if from_status else None,
        data=data,
    )
    return event


async def _change(
    session: AsyncSession,
    ctx: Context,
    ticket: Ticket,
    action: TicketAction,
    actor_id: int | None,
    *,
    body: str | None = None,
    kind: TicketEventKind | None = None,
) -> TicketStatus:
    """Apply a status transition (or refuse it) and write its history line. A ticket
    closed by it (confirmed, closed unanswered, cancelled) is closed now: its clocks stop."""
    before = ticket.status
    ticket.status = next_status(before, action)
    ticket.version += 1
    if ticket.status in FINAL_STATUSES:
        ticket.closed_at = ctx.now
        deadlines.stop_all(ticket)
    session.add(
        _event(
            ticket,
            ctx,
            kind or TicketEventKind.STATUS_CHANGED,
            actor_id,
            body=body,
            from_status=before,
        )
    )
    return before


async def _cancel(
    session: AsyncSession, ctx: Context, ticket: Ticket, by_person_id: int | None, reason: str
) -> None:
    """Cancelled by the resident or by staff: the reason is kept."""
    await _change(
        session,
        ctx,
        ticket,
        TicketAction.CANCEL,
        by_person_id,
        body=reason,
        kind=TicketEventKind.CANCELLED,
    )
    ticket.cancel_reason = reason


def _record(
    session: AsyncSession,
    ctx: Context,
    ticket: Ticket,
    kind: TicketEventKind,
    actor_id: int | None,
    *,
    data: dict[str, Any] | None = None,
) -> None:
    """A change that keeps the status: the version moves on and the history says what."""
    ticket.version += 1
    session.add(_event(ticket, ctx, kind, actor_id, data=data))


async def _add_with_photos(
    session: AsyncSession,
    ctx: Context,
    ticket: Ticket,
    kind: TicketEventKind,
    author_id: int | None,
    text: str,
    photos: list[Photo],
) -> None:
    """A history line with words (a description, a comment, a reply) and its photos."""
    event = _event(ticket, ctx, kind, author_id, body=text)
    session.add(event)
    await session.flush()
    for photo in photos:
        session.add(
            Attachment(
                ticket_id=ticket.id,
                event_id=event.id,
                author_id=author_id,
                file_id=photo.file_id,
                file_unique_id=photo.file_unique_id,
                media_kind="photo",
                created_at=ctx.now,
            )
        )


async def _announce_change(
    session: AsyncSession, ctx: Context, ticket: Ticket, *, resident_actor_id: int | None = None
) -> None:
    await ctx.announce(
        session, TicketChanged(ticket.id), StatusChanged(ticket.id, resident_actor_id)
    )


# ------------------------------------------------------------------ residents


async def create_ticket(
    session: AsyncSession, ctx: Context, resident: Person, draft: TicketDraft
) -> Ticket:
    project = await session.get(OrgUnit, draft.project_id)
    if project is None or not project.active or project.ticket_prefix is None:
        raise ValueError("tickets are filed against an active project")
    seq, number = await allocate_number(session, project.id)
    ticket = Ticket(
        number=number,
        project_id=project.id,
        seq=seq,
        kind=draft.kind,
        category_key=draft.category_key,
        urgent=draft.urgent,
        status=TicketStatus.NEW,
        resident_id=resident.id,
        property_unit_id=draft.property_unit_id,
        location_text=draft.location_text,
        description=draft.description,
        affected_count=1,
        segment=resident.segment,
        created_at=ctx.now,
        version=1,
        reopen_count=0,
        paused_seconds=0,
        response_escalation_level=0,
        resolution_escalation_level=0,
    )
    await deadlines.arm_new_ticket(session, ticket, ctx.org, ctx.now)
    session.add(ticket)
    await session.flush()
    await _add_with_photos(
        session, ctx, ticket, TicketEventKind.CREATED, resident.id, draft.description, draft.photos
    )
    await ctx.announce(session, TicketFiled(ticket.id, tuple(p.file_id for p in draft.photos)))
    await session.flush()
    return ticket


async def join_as_follower(
    session: AsyncSession, ctx: Context, ticket_id: int, resident: Person
) -> Ticket:
    """A neighbour with the same problem joins the ticket instead of filing a duplicate."""
    ticket = await load_for_update(session, ticket_id)
    if not is_open(ticket.status):
        raise StaleAction
    joined = await session.get(TicketFollower, (ticket.id, resident.id))
    if ticket.resident_id == resident.id or joined is not None:
        return ticket  # already in: joining twice changes nothing
    session.add(TicketFollower(ticket_id=ticket.id, person_id=resident.id, joined_at=ctx.now))
    ticket.affected_count += 1
    _record(session, ctx, ticket, TicketEventKind.FOLLOWER_JOINED, resident.id)
    await ctx.announce(session, TicketChanged(ticket.id))
    return ticket


async def add_resident_comment(
    session: AsyncSession,
    ctx: Context,
    ticket_id: int,
    actor: Actor,
    text: str,
    photos: list[Photo] | None = None,
) -> Ticket:
    ticket = await _resident_ticket(session, actor, ticket_id)
    if not takes_comments(ticket.status):
        raise StaleAction
    await _add_with_photos(
        session, ctx, ticket, TicketEventKind.COMMENT, actor.person_id, text, photos or []
    )
    if ticket.status is TicketStatus.WAITING_ON_RESIDENT:
        await _change(session, ctx, ticket, TicketAction.RESIDENT_ANSWERED, actor.person_id)
        await deadlines.resume(session, ticket, ctx.org, ctx.now)
    if is_open(ticket.status):  # a resolved ticket's clocks stay stopped
        await deadlines.resident_wrote(session, ticket, ctx.org, ctx.now)
    ticket.version += 1
    # Staff see the resident's words and photos where they work.
    files = tuple(p.file_id for p in photos or [])
    await ctx.announce(session, ResidentCommented(ticket.id, text, files), TicketChanged(ticket.id))
    return ticket


async def confirm_fixed(
    session: AsyncSession, ctx: Context, ticket_id: int, actor: Actor, expected_version: int | None
) -> Ticket:
    ticket = await _resident_ticket(session, actor, ticket_id, expected_version)
    await _change(session, ctx, ticket, TicketAction.CONFIRM, actor.person_id)
    await _announce_change(session, ctx, ticket, resident_actor_id=actor.person_id)
    return ticket


async def reopen(
    session: AsyncSession,
    ctx: Context,
    ticket_id: int,
    actor: Actor,
    reason: str,
    expected_version: int | None = None,
) -> Ticket:
    ticket = await _resident_ticket(session, actor, ticket_id, expected_version)
    await _change(
        session,
        ctx,
        ticket,
        TicketAction.REOPEN,
        actor.person_id,
        body=reason,
        kind=TicketEventKind.REOPENED,
    )
    ticket.reopen_count += 1
    await deadlines.rearm_after_reopen(session, ticket, ctx.org, ctx.now)
    await ctx.announce(session, TicketReopened(ticket.id, reason))
    await _announce_change(session, ctx, ticket, resident_actor_id=actor.person_id)
    return ticket


async def cancel_by_resident(
    session: AsyncSession, ctx: Context, ticket_id: int, actor: Actor, reason: str
) -> Ticket:
    ticket = await load_for_update(session, ticket_id)
    if ticket.resident_id != actor.person_id:
        raise NotTicketOwner
    await _cancel(session, ctx, ticket, actor.person_id, reason)
    await _announce_change(session, ctx, ticket, resident_actor_id=actor.person_id)
    await ctx.announce(session, CancelledByResident(ticket.id, reason))
    return ticket


# ------------------------------------------------------------------ staff


@about_ticket
async def take(
    session: AsyncSession,
    ctx: Context,
    ticket_id: int,
    actor: Actor | None,
    expected_version: int | None,
    *,
    place: Where | None = None,
) -> Ticket:
    """Take it: acknowledged and assigned to the taker. The version is compared after
    "who has it", so the loser of a race hears who won."""
    staff, ticket = await _staff_ticket(session, actor, ticket_id, place)
    if ticket.assignee_id is not None:
        if ticket.assignee_id != staff.person_id:
            holder = await session.get(Person, ticket.assignee_id)
            raise AlreadyTaken(holder.full_name if holder else None)
        if ticket.status is not TicketStatus.NEW:
            return ticket
        # Assigned to them by someone else while new: taking it acknowledges it.
    _check_version(ticket, expected_version)
    if ticket.status is not TicketStatus.NEW and is_open(ticket.status):
        # Open but held by nobody (it moved here from another project): assign only.
        ticket.assignee_id = staff.person_id
        _record(session, ctx, ticket, TicketEventKind.ASSIGNED, staff.person_id)
        await ctx.announce(session, TicketChanged(ticket.id))
        return ticket
    await _change(
        session, ctx, ticket, TicketAction.TAKE, staff.person_id, kind=TicketEventKind.ASSIGNED
    )
    ticket.assignee_id = staff.person_id
    await deadlines.record_first_response(session, ticket, ctx.org, ctx.now)
    await _announce_change(session, ctx, ticket)
    return ticket


@about_ticket
async def start_work(
    session: AsyncSession,
    ctx: Context,
    ticket_id: int,
    actor: Actor | None,
    expected_version: int | None,
    *,
    place: Where | None = None,
) -> Ticket:
    """Work has begun ("in progress"): the residents hear of it."""
    staff, ticket = await _staff_ticket(session, actor, ticket_id, place)
    _check_version(ticket, expected_version)
    await _change(session, ctx, ticket, TicketAction.START, staff.person_id)
    await _announce_change(session, ctx, ticket)
    return ticket


@about_ticket
async def reply_to_resident(
    session: AsyncSession,
    ctx: Context,
    ticket_id: int,
    actor: Actor | None,
    text: str,
    photos: list[Photo] | None = None,
    *,
    ask_for_answer: bool = False,
    in_private: bool = False,
) -> Ticket:
    """Staff answer the resident (and followers); the first answer is the first response.
    One written in a private chat (``in_private``) also shows in the project's group."""
    staff, ticket = await _staff_ticket(session, actor, ticket_id, None)
    if not is_open(ticket.status):
        raise StaleAction
    if ticket.status is TicketStatus.NEW:  # answering means taking it
        await _change(
            session, ctx, ticket, TicketAction.TAKE, staff.person_id, kind=TicketEventKind.ASSIGNED
        )
        ticket.assignee_id = ticket.assignee_id or staff.person_id
    await _add_with_photos(
        session, ctx, ticket, TicketEventKind.REPLY, staff.person_id, text, photos or []
    )
    await deadlines.record_first_response(session, ticket, ctx.org, ctx.now)
    ticket.update_due_at = None
    if ask_for_answer:
        await _change(session, ctx, ticket, TicketAction.ASK_RESIDENT, staff.person_id)
        await deadlines.pause(session, ticket, ctx.org, ctx.now)
    ticket.version += 1
    files = tuple(p.file_id for p in photos or [])
    await ctx.announce(
        session, StaffReplied(ticket.id, text, files, ask_for_answer), TicketChanged(ticket.id)
    )
    if in_private:
        await ctx.announce(session, AnsweredInPrivate(ticket.id, staff.person_id, text))
    return ticket


@about_ticket
async def add_note(
    session: AsyncSession, ctx: Context, ticket_id: int, actor: Actor | None, text: str
) -> Ticket:
    """An internal note: in the history, never shown to residents."""
    staff, ticket = await _staff_ticket(session, actor, ticket_id, None)
    session.add(
        _event(ticket, ctx, TicketEventKind.NOTE, staff.person_id, body=text, internal=True)
    )
    return ticket


@about_ticket
async def resolve(
    session: AsyncSession,
    ctx: Context,
    ticket_id: int,
    actor: Actor | None,
    what_was_done: str,
    expected_version: int | None = None,
) -> Ticket:
    """Resolved: the residents are asked whether it is fixed."""
    staff, ticket = await _staff_ticket(session, actor, ticket_id, None)
    _check_version(ticket, expected_version)
    await _change(session, ctx, ticket, TicketAction.RESOLVE, staff.person_id, body=what_was_done)
    ticket.assignee_id = ticket.assignee_id or staff.person_id
    await deadlines.record_first_response(session, ticket, ctx.org, ctx.now)
    await deadlines.stop_on_resolve(session, ticket, ctx.org, ctx.now)
    await ctx.announce(session, TicketResolved(ticket.id, what_was_done))
    await survey_invitations.ticket_resolved(session, ticket, ctx.now, ctx.group_locale)
    await ctx.announce(session, TicketChanged(ticket.id))
    return ticket


@about_ticket
async def cancel_by_staff(
    session: AsyncSession, ctx: Context, ticket_id: int, actor: Actor | None, reason: str
) -> Ticket:
    """Staff cancel an open ticket; the residents are told why."""
    staff, ticket = await _staff_ticket(session, actor, ticket_id, None)
    await _cancel(session, ctx, ticket, staff.person_id, reason)
    await ctx.announce(session, CancelledByStaff(ticket.id, reason), TicketChanged(ticket.id))
    return ticket


@about_ticket
async def reassign(
    session: AsyncSession,
    ctx: Context,
    ticket_id: int,
    actor: Actor | None,
    *,
    to_person_id: int | None = None,
    to_project_id: int | None = None,
    expected_version: int | None = None,
    place: Where | None = None,
) -> Ticket:
    """Hand the ticket to another staff member, or move it to another project (one of
    those :mod:`queries` offers; anything else is a forged button)."""
    staff, ticket = await _open_staff_ticket(session, actor, ticket_id, place, expected_version)
    if to_person_id is not None and to_person_id not in {
        o.person_id for o in await queries.reassign_people(session, ticket)
    }:
        raise ForgedButton
    if to_project_id is not None and to_project_id not in {
        o.project_id for o in await queries.reassign_projects(session, ticket)
    }:
        raise ForgedButton
    before = (ticket.card_chat_id, ticket.card_message_id, ticket.project_id)
    data: dict[str, Any] = {"from_person": ticket.assignee_id, "from_project": ticket.project_id}
    if to_project_id is not None and to_project_id != ticket.project_id:
        ticket.project_id = to_project_id
        ticket.assignee_id = None
        ticket.card_chat_id = ticket.card_message_id = None  # a new card in the new group
        data["to_project"] = to_project_id
        # Another project may count another calendar: deadlines follow from the history.
        data["deadlines"] = await deadlines.recompute_from_history(session, ticket, ctx.org)
    if to_person_id is not None:
        ticket.assignee_id = to_person_id
        data["to_person"] = to_person_id
    _record(session, ctx, ticket, TicketEventKind.REASSIGNED, staff.person_id, data=data)
    if "to_project" in data:
        await ctx.announce(session, TicketMoved(ticket.id, *before))
    else:
        await ctx.announce(session, TicketChanged(ticket.id))
    if to_person_id is not None and to_person_id != staff.person_id:
        await ctx.announce(session, TicketAssigned(ticket.id, to_person_id, staff.person_id))
    return ticket


@about_ticket
async def change_classification(
    session: AsyncSession,
    ctx: Context,
    ticket_id: int,
    actor: Actor | None,
    *,
    category_key: str | None = None,
    urgent: bool | None = None,
    expected_version: int | None = None,
    place: Where | None = None,
) -> Ticket:
    """Staff correct the category or urgency; deadlines are recomputed from the history
    and the residents are told."""
    staff, ticket = await _open_staff_ticket(session, actor, ticket_id, place, expected_version)
    if category_key is not None and category_key not in {
        c.key for c in queries.category_options(ctx.org, ticket)
    }:
        raise ForgedButton
    data: dict[str, Any] = {}
    if category_key is not None and category_key != ticket.category_key:
        data["category"] = [ticket.category_key, category_key]
        ticket.category_key = category_key
    if urgent is not None and urgent != ticket.urgent:
        data["urgent"] = [ticket.urgent, urgent]
        ticket.urgent = urgent
    if not data:
        return ticket
    data["deadlines"] = await deadlines.recompute_from_history(session, ticket, ctx.org)
    _record(session, ctx, ticket, TicketEventKind.DEADLINES_CHANGED, staff.person_id, data=data)
    await ctx.announce(
        session,
        TicketChanged(ticket.id),
        TicketReclassified(
            ticket.id, "category" in data, "urgent" in data, bool(data["deadlines"])
        ),
    )
    return ticket


# ------------------------------------------------------------------ the system


async def auto_close(session: AsyncSession, ctx: Context, ticket_id: int) -> Ticket:
    """The resident did not answer "is it fixed?" in time."""
    ticket = await load_for_update(session, ticket_id)
    await _change(session, ctx, ticket, TicketAction.AUTO_CLOSE, None)
    await _announce_change(session, ctx, ticket)
    return ticket
