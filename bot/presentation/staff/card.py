"""The ticket card: the one rendering of a ticket for staff, in groups and private chats."""

from __future__ import annotations

import html
from datetime import datetime
from zoneinfo import ZoneInfo

from aiogram.types import InlineKeyboardMarkup
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.config.orgfile import Organisation
from bot.i18n import N_, pick_locale, translate
from bot.presentation.buttons.tickets import CardAction, StaffTicketAction, ticket_button
from bot.presentation.message_split import TEXT_LIMIT, truncate_html, units
from bot.presentation.texts import (
    STATUS_ICONS,
    building_label,
    category_name,
    initials,
    kind_name,
    local_time,
    staff_status_name,
    with_aside,
)
from bot.services.resident_units import unit_label
from bot.services.tickets.transitions import (
    FINAL_STATUSES,
    TicketAction,
    allowed_actions,
    is_open,
)
from storage.models import OrgUnit, Person, Ticket, TicketEvent, TicketStatus

# The card's buttons, row by row; each shows only where it makes sense (:func:`shows`).
CARD_ROWS: tuple[tuple[tuple[CardAction, str], ...], ...] = (
    (
        (CardAction.TAKE, N_("Take")),
        (CardAction.REPLY, N_("Reply")),
        (CardAction.RESOLVE, N_("Resolve")),
    ),
    (
        (CardAction.NOTE, N_("Note")),
        (CardAction.REASSIGN, N_("Reassign")),
        (CardAction.DETAILS, N_("Details")),
    ),
    (
        (CardAction.START, N_("Start work")),
        (CardAction.CLASSIFY, N_("Change category")),
        (CardAction.CANCEL, N_("Cancel ticket")),
    ),
)
CARD_BUTTONS = tuple(button for row in CARD_ROWS for button in row)
# Buttons that move the ticket along: shown when the transition table allows the move.
TRANSITION_OF = {
    CardAction.TAKE: TicketAction.TAKE,
    CardAction.START: TicketAction.START,
    CardAction.RESOLVE: TicketAction.RESOLVE,
    CardAction.CANCEL: TicketAction.CANCEL,
}
_DESCRIPTION = "\x00"  # its place in the card (never in what people write: NUL is removed)
URGENT = N_("URGENT")
SYSTEM = N_("system")
CARD = N_(
    "{icon} <b>{number}</b> · {kind} · {category}{urgent}\n"
    "Status: {status} · Assignee: {assignee}\n"
    "Where: {place}\n"
    "Resident: {resident} · Affected residents: {affected}\n"
    "Respond by: {respond_by} · Resolve by: {resolve_by}\n\n"
    "{description}"
)
CANCELLED_BECAUSE = N_("Cancelled because: {reason}")


async def unit_place(
    session: AsyncSession, org: Organisation, locale: str, property_unit_id: int | None
) -> str | None:
    """``1号楼 1-201`` (``Building 1 1-201`` for English readers); None without a unit."""
    unit = await unit_label(session, property_unit_id) if property_unit_id else None
    if unit is None:
        return None
    name = building_label(org, locale, unit.project_key, unit.building_key, unit.building_name)
    return f"{name} {unit.unit_key}"


async def _place(session: AsyncSession, org: Organisation, ticket: Ticket, locale: str) -> str:
    parts = []
    unit = await unit_place(session, org, locale, ticket.property_unit_id)
    if unit is not None:
        parts.append(unit)
    if ticket.location_text:
        parts.append(html.escape(ticket.location_text))
    return " / ".join(parts) or "—"


async def _last_change(session: AsyncSession, ticket: Ticket, zone: ZoneInfo, locale: str) -> str:
    """Who moved the ticket to its status, and when ("王芳 11-03 14:20"); "" if nobody did.
    The assignee's own change is only its time: the card names them on the same line."""
    found = (
        await session.execute(
            select(TicketEvent.actor_id, TicketEvent.at)
            .where(TicketEvent.ticket_id == ticket.id, TicketEvent.to_status.is_not(None))
            .order_by(TicketEvent.id.desc())
            .limit(1)
        )
    ).first()
    if found is None:
        return ""
    actor_id, at = found
    when = at.astimezone(zone).strftime("%m-%d %H:%M")
    if actor_id is not None and actor_id == ticket.assignee_id:
        return when
    person = await session.get(Person, actor_id) if actor_id is not None else None
    if person is None:
        return f"{translate(locale, SYSTEM)} {when}"
    name = person.full_name or "—"
    if actor_id == ticket.resident_id:
        name = initials(name)  # personal data stays out of groups
    return f"{html.escape(name)} {when}"


def shows(action: CardAction, ticket: Ticket) -> bool:
    """Whether the card offers ``action`` in the ticket's status (Details always)."""
    if action is CardAction.DETAILS:
        return True
    if action is CardAction.NOTE:
        return ticket.status not in FINAL_STATUSES
    allowed = allowed_actions(ticket.status)
    if action is CardAction.TAKE and ticket.assignee_id is None and is_open(ticket.status):
        return True  # open but held by nobody (moved here from another project)
    if action in TRANSITION_OF:
        return TRANSITION_OF[action] in allowed
    return is_open(ticket.status)  # reply, reassign, change category


async def card_text(
    session: AsyncSession,
    org: Organisation,
    ticket: Ticket,
    locale: str,
    *,
    whole_description: bool = False,
) -> str:
    """The card; one message always (a long description is shortened, "…"), unless
    ``whole_description`` (Details, which splits what does not fit)."""
    project = await session.get(OrgUnit, ticket.project_id)
    zone = org.zone(project.key if project else None)
    status = staff_status_name(locale, ticket.status)
    changed = await _last_change(session, ticket, zone, locale)
    resident = await session.get(Person, ticket.resident_id) if ticket.resident_id else None
    assignee = await session.get(Person, ticket.assignee_id) if ticket.assignee_id else None
    description = html.escape(ticket.description)
    text = translate(
        locale,
        CARD,
        icon=STATUS_ICONS[ticket.status],
        number=ticket.number,
        kind=kind_name(locale, ticket.kind),
        category=html.escape(category_name(org, locale, ticket.category_key)),
        urgent=f" · ⚡{translate(locale, URGENT)}" if ticket.urgent else "",
        status=f"{status} · {changed}" if changed else status,
        assignee=html.escape(assignee.full_name or "—") if assignee else "—",
        place=await _place(session, org, ticket, locale),
        resident=_resident(resident, locale),
        affected=ticket.affected_count,
        respond_by=_deadline(
            locale,
            ticket,
            ticket.first_response_due_at,
            ticket.first_responded_at,
            zone,
            RESPONSE_OUTCOMES,
        ),
        resolve_by=_deadline(
            locale,
            ticket,
            ticket.resolution_due_at,
            ticket.resolved_at,
            zone,
            RESOLUTION_OUTCOMES,
        ),
        description=_DESCRIPTION,
    )
    if ticket.status == TicketStatus.CANCELLED and ticket.cancel_reason:
        # Why it was cancelled stays on the card, above what was asked.
        because = translate(locale, CANCELLED_BECAUSE, reason=html.escape(ticket.cancel_reason))
        text = text.replace("\n\n" + _DESCRIPTION, f"\n{because}\n\n{_DESCRIPTION}")
    if not whole_description:
        over = units(text) - 1 + units(description) - TEXT_LIMIT
        if over > 0:
            description = truncate_html(description, max(units(description) - over, 1))
    return text.replace(_DESCRIPTION, description)


# A deadline that has been met or missed says which (first response; resolution).
RESPONSE_OUTCOMES = (N_("{time} (answered in time)"), N_("{time} (answered late)"))
RESOLUTION_OUTCOMES = (N_("{time} (resolved in time)"), N_("{time} (resolved late)"))
# A deadline the ticket was cancelled before meeting: nobody owes it any more.
NO_LONGER_DUE = N_("{time} (no longer applies)")


def _deadline(
    locale: str,
    ticket: Ticket,
    due: datetime | None,
    done: datetime | None,
    zone: ZoneInfo,
    outcomes: tuple[str, str],
) -> str:
    """A deadline as staff read it on the card: when, once it is done whether in time, and
    on a cancelled ticket that it no longer applies."""
    shown = local_time(due, zone)
    if due is not None and done is None and ticket.status == TicketStatus.CANCELLED:
        return translate(locale, NO_LONGER_DUE, time=shown)
    if due is None or done is None:
        return shown
    in_time, late = outcomes
    return translate(locale, in_time if done <= due else late, time=shown)


# A language named in the reader's own ("英文" to a Chinese group, "Chinese" to an English one).
LANGUAGE_IN_WORDS = {"zh_CN": N_("Chinese"), "en": N_("English")}


def _resident(resident: Person | None, locale: str) -> str:
    """The resident by initials (personal data stays out of groups), with the language they
    read when it is not the group's, so that staff can answer in it: "A.C.（英文）"."""
    shown = html.escape(initials(resident.full_name if resident else None))
    if resident is None:
        return shown
    reads = pick_locale(resident.language, resident.telegram_language, default=locale)
    if reads == locale or reads not in LANGUAGE_IN_WORDS:
        return shown
    return with_aside(locale, shown, translate(locale, LANGUAGE_IN_WORDS[reads]))


def card_keyboard(ticket: Ticket, locale: str) -> InlineKeyboardMarkup:
    """The actions that make sense in the ticket's status (:func:`shows`), each in its
    row: a new ticket can be taken, a taken one started and resolved, a resolved one only
    noted, a closed or cancelled one keeps only Details."""

    rows = [
        [
            ticket_button(StaffTicketAction, action, ticket, translate(locale, label))
            for action, label in row
            if shows(action, ticket)
        ]
        for row in CARD_ROWS
    ]
    return InlineKeyboardMarkup(inline_keyboard=[row for row in rows if row])


async def render_card(
    session: AsyncSession, org: Organisation, ticket: Ticket, locale: str
) -> tuple[str, InlineKeyboardMarkup]:
    return await card_text(session, org, ticket, locale), card_keyboard(ticket, locale)
