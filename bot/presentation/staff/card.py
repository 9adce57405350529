"""The ticket card: the one rendering of a ticket for staff, in groups and private chats."""

from __future__ import annotations

import html

from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup
from sqlalchemy.ext.asyncio import AsyncSession

from bot.config.orgfile import Organisation
from bot.i18n import N_, translate
from bot.presentation.buttons.tickets import CardAction, StaffTicketAction
from bot.presentation.texts import (
    STATUS_ICONS,
    category_name,
    initials,
    kind_name,
    local_time,
    staff_status_name,
)
from bot.services.tickets.transitions import FINAL_STATUSES, is_open
from storage.models import OrgUnit, Person, PropertyUnit, Ticket

# The card's buttons, row by row; the last row only while the ticket is open.
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
URGENT = N_("URGENT")
CARD = N_(
    "{icon} <b>{number}</b> · {kind} · {category}{urgent}\n"
    "Status: {status} · Assignee: {assignee}\n"
    "Where: {place}\n"
    "Resident: {resident} · Affected residents: {affected}\n"
    "Respond by: {respond_by} · Resolve by: {resolve_by}\n\n"
    "{description}"
)


async def _place(session: AsyncSession, ticket: Ticket) -> str:
    parts = []
    if ticket.property_unit_id is not None:
        unit = await session.get(PropertyUnit, ticket.property_unit_id)
        if unit is not None:
            await session.refresh(unit, ["building"])
            parts.append(f"{unit.building.name} {unit.key}")
    if ticket.location_text:
        parts.append(html.escape(ticket.location_text))
    return " / ".join(parts) or "—"


async def card_text(session: AsyncSession, org: Organisation, ticket: Ticket, locale: str) -> str:
    project = await session.get(OrgUnit, ticket.project_id)
    zone = org.zone(project.key if project else None)
    resident = await session.get(Person, ticket.resident_id) if ticket.resident_id else None
    assignee = await session.get(Person, ticket.assignee_id) if ticket.assignee_id else None
    return translate(
        locale,
        CARD,
        icon=STATUS_ICONS[ticket.status],
        number=ticket.number,
        kind=kind_name(locale, ticket.kind),
        category=html.escape(category_name(org, locale, ticket.category_key)),
        urgent=f" · ⚡{translate(locale, URGENT)}" if ticket.urgent else "",
        status=staff_status_name(locale, ticket.status),
        assignee=html.escape(assignee.full_name or "—") if assignee else "—",
        place=await _place(session, ticket),
        resident=html.escape(initials(resident.full_name if resident else None)),
        affected=ticket.affected_count,
        respond_by=local_time(ticket.first_response_due_at, zone),
        resolve_by=local_time(ticket.resolution_due_at, zone),
        description=html.escape(ticket.description),
    )


def card_keyboard(ticket: Ticket, locale: str) -> InlineKeyboardMarkup:
    """Every action while open; a closed or cancelled ticket keeps only Details."""
    labels = dict(CARD_BUTTONS)

    def button(action: CardAction) -> InlineKeyboardButton:
        data = StaffTicketAction(action=action, ticket_id=ticket.id, version=ticket.version)
        return InlineKeyboardButton(
            text=translate(locale, labels[action]), callback_data=data.pack()
        )

    if ticket.status in FINAL_STATUSES:
        return InlineKeyboardMarkup(inline_keyboard=[[button(CardAction.DETAILS)]])
    shown = CARD_ROWS if is_open(ticket.status) else CARD_ROWS[:2]
    return InlineKeyboardMarkup(inline_keyboard=[[button(a) for a, _ in row] for row in shown])


async def render_card(
    session: AsyncSession, org: Organisation, ticket: Ticket, locale: str
) -> tuple[str, InlineKeyboardMarkup]:
    return await card_text(session, org, ticket, locale), card_keyboard(ticket, locale)
