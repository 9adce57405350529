"""News about a ticket for the resident who filed it and everyone who joined it,
each in their own language, queued in the outbox."""

from __future__ import annotations

import html
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup
from sqlalchemy.ext.asyncio import AsyncSession

from bot.i18n import N_, translate
from bot.presentation import outbox
from bot.presentation.announce import renders
from bot.presentation.buttons import as_payload
from bot.presentation.buttons.tickets import ResidentAction, ResidentTicketAction, ticket_button
from bot.presentation.recipients import Recipient, ticket_residents
from bot.presentation.texts import category_name, local_time, status_name
from bot.services.announcements.drafts import quiet_until
from bot.services.context import Context
from bot.services.resident_tickets import project_zone
from bot.services.sla.notices import TicketLate
from bot.services.ticket_talk import news_ref
from bot.services.tickets.notices import (
    CancelledByStaff,
    StaffReplied,
    StatusChanged,
    TicketReclassified,
    TicketResolved,
)
from storage.models import Ticket
from storage.vocabulary import TicketStatus

STATUS_CHANGED = N_("Ticket {number}: status is now “{status}”.")
# What a status means for the resident, where it says more than its name.
STATUS_NEWS = {
    TicketStatus.ACKNOWLEDGED: N_("👀 The property office has taken {number} and is on it."),
    TicketStatus.IN_PROGRESS: N_("🔧 Work on {number} is under way."),
    TicketStatus.CLOSED: N_(
        "🏁 {number} is closed. If the problem comes back, just write to me here."
    ),
    # Only the neighbours who joined hear it: the resident who filed it cancelled it.
    TicketStatus.CANCELLED: N_(
        "🚫 {number} was cancelled by the resident who filed it. If the problem is still "
        "there for you, write to me here and I will help you report it."
    ),
}
STAFF_REPLIED = N_("Reply from the property office about {number}:\n{text}")
ASKED_FOR_ANSWER = N_(
    "The property office needs more information about {number}:\n{text}\n\n"
    "Just write your answer here (or press 💬 Reply)."
)
REPLY_BUTTON = N_("💬 Reply")
RESOLVED = N_("Ticket {number} has been resolved: {text}\n\nIs the problem fixed?")
FIXED_BUTTON = N_("✅ Fixed")
NOT_FIXED_BUTTON = N_("❌ Not fixed")
CANCELLED_BY_STAFF = N_("Ticket {number} was cancelled by the property office: {reason}")
# What the resident can do about it: a message outside a conversation is offered for filing.
CANCELLED_WHAT_NOW = N_(
    "If the problem is still there, write to me about it here and I will help you report it again."
)
RECLASSIFIED = N_("The property office updated ticket {number}: category “{category}”{urgent}.")
MARKED_URGENT = N_(", marked urgent")
DUE_NOW = N_("Respond by: {respond_by} · Resolve by: {resolve_by}")
RESOLVE_BY_NOW = N_("Resolve by: {resolve_by}")
NOT_URGENT = N_(", no longer urgent")
# A promise made when the ticket was filed is late (the ladder's first escalation).
LATE = {
    "response": N_(
        "⏳ We are sorry: we promised to respond to {number} by {deadline} and have not yet. "
        "The property office has been alerted, and I will tell you here as soon as there "
        "is news."
    ),
    "resolution": N_(
        "⏳ We are sorry: we aimed to resolve {number} by {deadline} and it is not done yet. "
        "The property office has been alerted, and I will tell you here as soon as there "
        "is news."
    ),
}
# The apology waits out the quiet hours under this key; news before then replaces it.
LATE_KEY = "late:{ticket_id}:"


def _button(
    ticket: Ticket, locale: str, action: ResidentAction, label: str
) -> InlineKeyboardButton:
    return ticket_button(ResidentTicketAction, action, ticket, translate(locale, label))


def reply_keyboard(ticket: Ticket, locale: str) -> InlineKeyboardMarkup:
    """💬 Reply under a staff message: the resident's answer goes to that ticket."""
    reply = _button(ticket, locale, ResidentAction.COMMENT, REPLY_BUTTON)
    return InlineKeyboardMarkup(inline_keyboard=[[reply]])


def fixed_keyboard(ticket: Ticket, locale: str) -> InlineKeyboardMarkup:
    """ "Is it fixed?": Fixed / Not fixed, for the ticket as it is now."""
    fixed = _button(ticket, locale, ResidentAction.FIXED, FIXED_BUTTON)
    not_fixed = _button(ticket, locale, ResidentAction.NOT_FIXED, NOT_FIXED_BUTTON)
    return InlineKeyboardMarkup(inline_keyboard=[[fixed, not_fixed]])


async def _send(
    session: AsyncSession,
    ctx: Context,
    ticket_id: int,
    render: Callable[[Ticket, Recipient], tuple[str, dict | None]],
    *,
    except_person_id: int | None = None,
    photo_file_ids: Sequence[str] = (),
    late: _Held | None = None,
) -> Ticket | None:
    """Each resident's message about the ticket, then the photos (if any), each with
    the message's buttons and the ticket's number as caption. ``late``: the message is
    an apology for a late promise, held back as it says."""
    ticket = await session.get(Ticket, ticket_id)
    if ticket is None:
        return None
    if late is None and ctx.org.quiet_hours is not None and _escalated(ticket):
        # News: an apology for lateness still held back by the quiet hours is outdated.
        key = LATE_KEY.format(ticket_id=ticket.id)
        await outbox.drop_held(session, ref=news_ref(ticket.id), dedup_prefix=key)
    for recipient in await ticket_residents(
        session, ticket, ctx.group_locale, exclude_person_id=except_person_id
    ):
        text, markup = render(ticket, recipient)
        await outbox.enqueue_text(
            session,
            chat_id=recipient.chat_id,
            text=text,
            reply_markup=markup,
            now=ctx.now if late is None else late.due,
            ref=news_ref(ticket.id),  # a reply to it is about this ticket
            dedup_key=None if late is None else f"{late.key}{recipient.chat_id}",
        )
        for file_id in photo_file_ids:
            await outbox.enqueue(
                session,
                chat_id=recipient.chat_id,
                method="sendPhoto",
                now=ctx.now,
                payload={"photo": file_id, "caption": ticket.number, "reply_markup": markup},
                ref=news_ref(ticket.id),
            )
    return ticket


def _ahead(moment: datetime | None, now: datetime) -> bool:
    return moment is not None and moment > now


def _escalated(ticket: Ticket) -> bool:
    return bool(ticket.response_escalation_level or ticket.resolution_escalation_level)


@dataclass(frozen=True)
class _Held:
    """An apology's place in the outbox: due at ``due``, its dedup keys start with ``key``."""

    due: datetime
    key: str


@renders(TicketLate)
async def _late(session: AsyncSession, ctx: Context, notice: TicketLate) -> None:
    """The residents hear that a promise is late, after the quiet hours if it is night;
    once for each promise (a sweep repeated, or another instance's, adds nothing)."""
    ticket = await session.get(Ticket, notice.ticket_id)
    if ticket is None:
        return
    zone = await project_zone(session, ctx.org, ticket.project_id)
    due = quiet_until(ctx.org.quiet_hours, ctx.now, zone) or ctx.now
    key = LATE_KEY.format(ticket_id=ticket.id)
    held = _Held(due, f"{key}{notice.ladder}:{notice.deadline.isoformat()}:")

    def render(ticket: Ticket, r: Recipient) -> tuple[str, None]:
        deadline = local_time(notice.deadline, zone)
        text = translate(r.locale, LATE[notice.ladder], number=ticket.number, deadline=deadline)
        return text, None

    await _send(session, ctx, ticket.id, render, late=held)


@renders(StatusChanged)
async def _status_changed(session: AsyncSession, ctx: Context, notice: StatusChanged) -> None:
    def render(ticket: Ticket, r: Recipient) -> tuple[str, None]:
        news = STATUS_NEWS.get(ticket.status)
        if news is not None:
            return translate(r.locale, news, number=ticket.number), None
        status = status_name(r.locale, ticket.status)
        return translate(r.locale, STATUS_CHANGED, number=ticket.number, status=status), None

    await _send(session, ctx, notice.ticket_id, render, except_person_id=notice.except_person_id)


@renders(StaffReplied)
async def _staff_replied(session: AsyncSession, ctx: Context, notice: StaffReplied) -> None:
    """Relay a staff answer (and its photos) to the resident and followers."""
    template = ASKED_FOR_ANSWER if notice.asking else STAFF_REPLIED

    def render(ticket: Ticket, r: Recipient) -> tuple[str, dict]:
        text = translate(r.locale, template, number=ticket.number, text=html.escape(notice.text))
        return text, as_payload(reply_keyboard(ticket, r.locale))

    await _send(session, ctx, notice.ticket_id, render, photo_file_ids=notice.photo_file_ids)


@renders(TicketResolved)
async def _resolved(session: AsyncSession, ctx: Context, notice: TicketResolved) -> None:
    def render(ticket: Ticket, r: Recipient) -> tuple[str, dict]:
        text = html.escape(notice.what_was_done)
        message = translate(r.locale, RESOLVED, number=ticket.number, text=text)
        # 💬 Reply too, for words that are neither "fixed" nor "not fixed".
        rows = [
            *fixed_keyboard(ticket, r.locale).inline_keyboard,
            *reply_keyboard(ticket, r.locale).inline_keyboard,
        ]
        return message, as_payload(InlineKeyboardMarkup(inline_keyboard=rows))

    await _send(session, ctx, notice.ticket_id, render)


@renders(CancelledByStaff)
async def _cancelled(session: AsyncSession, ctx: Context, notice: CancelledByStaff) -> None:
    def render(ticket: Ticket, r: Recipient) -> tuple[str, None]:
        reason = html.escape(notice.reason)
        told = translate(r.locale, CANCELLED_BY_STAFF, number=ticket.number, reason=reason)
        return f"{told}\n\n{translate(r.locale, CANCELLED_WHAT_NOW)}", None

    await _send(session, ctx, notice.ticket_id, render)


@renders(TicketReclassified)
async def _reclassified(session: AsyncSession, ctx: Context, notice: TicketReclassified) -> None:
    zone = None
    if notice.deadlines_changed and (ticket := await session.get(Ticket, notice.ticket_id)):
        zone = await project_zone(session, ctx.org, ticket.project_id)

    def render(ticket: Ticket, r: Recipient) -> tuple[str, None]:
        urgent = ""
        if notice.urgent_changed:
            urgent = translate(r.locale, MARKED_URGENT if ticket.urgent else NOT_URGENT)
        category = html.escape(category_name(ctx.org, r.locale, ticket.category_key))
        text = translate(
            r.locale, RECLASSIFIED, number=ticket.number, category=category, urgent=urgent
        )
        # The deadlines the resident was given follow from the category and the urgency:
        # those still ahead (one already passed is the apology's to tell).
        if zone is None or not _ahead(ticket.resolution_due_at, ctx.now):
            return text, None
        resolve_by = local_time(ticket.resolution_due_at, zone)
        if ticket.first_responded_at is None and _ahead(ticket.first_response_due_at, ctx.now):
            respond_by = local_time(ticket.first_response_due_at, zone)
            due = translate(r.locale, DUE_NOW, respond_by=respond_by, resolve_by=resolve_by)
        else:
            due = translate(r.locale, RESOLVE_BY_NOW, resolve_by=resolve_by)
        return f"{text}\n{due}", None

    await _send(session, ctx, notice.ticket_id, render)
