"""Erasing a resident: the person goes, the anonymous record of what happened stays.

Name, phone, the Telegram link, unit bindings, conversation state, the text they
wrote and the photos they sent are removed, and so is their choice to mute general
notices; tickets keep their timings, status and ratings (scores, not comments), and
the notices and FAQ answers they were shown keep their outcome but no longer name
them, so the company's statistics stay true.
Staff are told that the resident of a ticket left, never who.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import delete, exists, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.i18n import N_
from bot.services import audit
from bot.services.context import Context, Notice
from bot.services.delivery_outcomes import CARD_REF_PREFIX
from bot.services.errors import Refused
from bot.services.people import Actor
from bot.services.resident_units import forget_units
from bot.services.tickets.notices import TicketChanged
from bot.services.tickets.transitions import is_open
from storage.db import rows_changed
from storage.models import (
    AnnouncementMute,
    Attachment,
    FsmRecord,
    InboundStatus,
    InboundUpdate,
    OutboxMessage,
    OutboxStatus,
    Person,
    SelfServiceEvent,
    StaffMembership,
    SurveyResponse,
    Ticket,
    TicketEvent,
)
from storage.models.residents import BindingRequest, ResidentUnit, UnitCodeAttempt

ERASED_TEXT = "[erased]"
# The refs under which the staff group's messages about a ticket are queued: its card
# (``CARD_REF_PREFIX``) and the lines about it (``bot/presentation/outbound/staff.py``).
TICKET_NEWS_REF_PREFIX = "ticket:"


class CannotErase(Refused):
    """Not audited: the person is told what to do instead."""

    code = "cannot_erase"
    default_reason = N_("Staff accounts are removed by your administrator, not here.")
    audited = False


@dataclass(frozen=True)
class ResidentLeft(Notice):
    """The resident of an open ticket was erased: its group is told (never who)."""

    ticket_id: int


@dataclass
class ErasureReport:
    tickets_anonymised: int = 0
    photos_removed: int = 0
    texts_removed: int = 0


async def _holds_a_role(session: AsyncSession, person_id: int) -> bool:
    held = exists().where(StaffMembership.person_id == person_id, StaffMembership.active.is_(True))
    return bool(await session.scalar(select(held)))


async def erase_person(
    session: AsyncSession,
    ctx: Context,
    person: Person,
    *,
    reason: str,
    actor: Actor | None = None,
) -> ErasureReport:
    if await _holds_a_role(session, person.id):
        raise CannotErase
    now = ctx.now
    report = ErasureReport()
    telegram_id = person.telegram_id
    tickets = (await session.scalars(select(Ticket).where(Ticket.resident_id == person.id))).all()
    for ticket in tickets:
        ticket.description = ERASED_TEXT
        ticket.location_text = None
        ticket.property_unit_id = None
        if ticket.cancel_reason is not None:  # their words, or words about them
            ticket.cancel_reason = ERASED_TEXT
        report.tickets_anonymised += 1
        await _forget_group_messages(session, ticket)
    report.texts_removed += await rows_changed(
        session,
        update(TicketEvent)
        .where(TicketEvent.actor_id == person.id, TicketEvent.body.is_not(None))
        .values(body=ERASED_TEXT),
    )
    report.photos_removed = await rows_changed(
        session, delete(Attachment).where(Attachment.author_id == person.id)
    )
    await session.execute(
        update(SurveyResponse).where(SurveyResponse.person_id == person.id).values(text=None)
    )
    # Their choice about notices goes; what self-service answered stays, no longer theirs.
    await session.execute(delete(AnnouncementMute).where(AnnouncementMute.person_id == person.id))
    await session.execute(
        update(SelfServiceEvent)
        .where(SelfServiceEvent.person_id == person.id)
        .values(person_id=None)
    )
    await session.execute(delete(ResidentUnit).where(ResidentUnit.person_id == person.id))
    forget_units(session, person.id)
    await session.execute(delete(BindingRequest).where(BindingRequest.person_id == person.id))
    if telegram_id is not None:
        await _forget_chat(session, telegram_id)
    person.full_name = None
    person.phone = None
    person.telegram_id = None
    person.language = None
    person.telegram_language = None
    person.consent_version = None
    person.consented_at = None
    person.reachable = False
    person.erased_at = now
    # Only now, with the person cleared, are the cards redrawn: rendered any earlier,
    # they would still show the resident's initials.
    for ticket in tickets:
        await ctx.announce(session, TicketChanged(ticket.id))
        if is_open(ticket.status):
            await ctx.announce(session, ResidentLeft(ticket.id))
    await audit.record(
        session,
        now,
        actor,
        "personal_data.erase",
        subject_person_id=person.id,
        data={"reason": reason, "tickets": report.tickets_anonymised},
    )
    await session.flush()
    return report


async def _forget_group_messages(session: AsyncSession, ticket: Ticket) -> None:
    """Queued group messages about the ticket go; sent ones, and one being sent right now,
    lose their text (the sender already holds what it sends; kept, it would stay here)."""
    refs = [f"{CARD_REF_PREFIX}{ticket.id}", f"{TICKET_NEWS_REF_PREFIX}{ticket.id}"]
    await session.execute(
        delete(OutboxMessage).where(
            OutboxMessage.ref.in_(refs),
            OutboxMessage.status == OutboxStatus.PENDING,
            OutboxMessage.locked_by.is_(None),
        )
    )
    await session.execute(
        update(OutboxMessage).where(OutboxMessage.ref.in_(refs)).values(payload={})
    )


async def _forget_chat(session: AsyncSession, telegram_id: int) -> None:
    """Conversation state, stored updates and messages of the private chat."""
    await session.execute(
        delete(FsmRecord).where(
            or_(
                FsmRecord.key.like(f"%:{telegram_id}:{telegram_id}:%"),
                FsmRecord.key.like(f"%:{telegram_id}:{telegram_id}"),
            )
        )
    )
    await session.execute(
        delete(InboundUpdate).where(
            InboundUpdate.chat_key == f"chat:{telegram_id}",
            InboundUpdate.status != InboundStatus.PENDING,
        )
    )
    await session.execute(
        delete(OutboxMessage).where(
            OutboxMessage.chat_id == telegram_id, OutboxMessage.status == OutboxStatus.PENDING
        )
    )
    await session.execute(
        update(OutboxMessage).where(OutboxMessage.chat_id == telegram_id).values(payload={})
    )
    await session.execute(delete(UnitCodeAttempt).where(UnitCodeAttempt.telegram_id == telegram_id))
