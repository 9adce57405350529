"""Ticket cards in the project's staff group, kept current by editing them in place."""

from __future__ import annotations

import html
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from bot.callback_formats import staff_ticket_button
from bot.config.orgfile import Organisation
from bot.i18n import DEFAULT_LOCALE, N_, normalise_locale, pick_locale, translate
from bot.services import outbox
from bot.services.notifications.texts import category_name, kind_name, local_time, status_name
from bot.services.people import Actor
from storage.models import OrgUnit, Person, PropertyUnit, Ticket, TicketStatus

CARD_BUTTONS = (
    ("take", N_("Take")),
    ("reply", N_("Reply")),
    ("resolve", N_("Resolve")),
    ("note", N_("Note")),
    ("reassign", N_("Reassign")),
    ("details", N_("Details")),
)
URGENT = N_("URGENT")
CARD = N_(
    "{icon} <b>{number}</b> · {kind} · {category}{urgent}\n"
    "Status: {status} · Assignee: {assignee}\n"
    "Where: {place}\n"
    "Resident: {resident} · Affected residents: {affected}\n"
    "Respond by: {respond_by} · Resolve by: {resolve_by}\n\n"
    "{description}"
)
STATUS_ICONS = {
    TicketStatus.NEW: "🆕",
    TicketStatus.ACKNOWLEDGED: "👀",
    TicketStatus.IN_PROGRESS: "🔧",
    TicketStatus.WAITING_ON_RESIDENT: "⏸",
    TicketStatus.RESOLVED: "✅",
    TicketStatus.CLOSED: "🏁",
    TicketStatus.CANCELLED: "🚫",
}
CARD_REF = "ticket-card:{ticket_id}"
# Other group messages about a ticket (comments, re-opens): found again when the resident is erased.
TICKET_NEWS_REF = "ticket:{ticket_id}"


def initials(name: str | None) -> str:
    """Group cards name residents by initials only: personal data stays out of groups."""
    if not name:
        return "—"
    parts = name.split()
    if len(parts) > 1:
        return "".join(p[0].upper() + "." for p in parts)
    return name[0] + "*" * min(len(name) - 1, 2)


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


async def render_card(
    session: AsyncSession, org: Organisation, ticket: Ticket, locale: str
) -> tuple[str, dict]:
    project = await session.get(OrgUnit, ticket.project_id)
    zone = org.zone(project.key if project else None)
    resident = await session.get(Person, ticket.resident_id) if ticket.resident_id else None
    assignee = await session.get(Person, ticket.assignee_id) if ticket.assignee_id else None
    text = translate(
        locale,
        CARD,
        icon=STATUS_ICONS[ticket.status],
        number=ticket.number,
        kind=kind_name(locale, ticket.kind),
        category=html.escape(category_name(org, locale, ticket.category_key)),
        urgent=f" · ⚡{translate(locale, URGENT)}" if ticket.urgent else "",
        status=status_name(locale, ticket.status),
        assignee=html.escape(assignee.full_name or "—") if assignee else "—",
        place=await _place(session, ticket),
        resident=html.escape(initials(resident.full_name if resident else None)),
        affected=ticket.affected_count,
        respond_by=local_time(ticket.first_response_due_at, zone),
        resolve_by=local_time(ticket.resolution_due_at, zone),
        description=html.escape(ticket.description),
    )
    rows = [
        [
            {
                "text": translate(locale, label),
                "callback_data": staff_ticket_button(action, ticket.id, ticket.version),
            }
            for action, label in CARD_BUTTONS[i : i + 3]
        ]
        for i in (0, 3)
    ]
    if ticket.status in (TicketStatus.CLOSED, TicketStatus.CANCELLED):
        rows = [[row for row in rows[1] if row["callback_data"].startswith("tk:details")]]
    return text, {"inline_keyboard": rows}


async def post_card(
    session: AsyncSession, org: Organisation, ticket: Ticket, now: datetime, locale: str
) -> None:
    """A new ticket appears in its project's staff group."""
    project = await session.get(OrgUnit, ticket.project_id)
    if project is None or project.group_chat_id is None:
        return  # no group bound yet: the ticket still shows in /queue
    text, markup = await render_card(session, org, ticket, locale)
    payload: dict = {"text": text, "parse_mode": "HTML", "reply_markup": markup}
    if project.group_thread_id:
        payload["message_thread_id"] = project.group_thread_id
    await outbox.enqueue(
        session,
        chat_id=project.group_chat_id,
        method="sendMessage",
        payload=payload,
        now=now,
        ref=CARD_REF.format(ticket_id=ticket.id),
    )


async def refresh_card(
    session: AsyncSession, org: Organisation, ticket: Ticket, now: datetime, locale: str
) -> None:
    """Edit the ticket's card so the group always shows its current state."""
    project = await session.get(OrgUnit, ticket.project_id)
    chat_id = ticket.card_chat_id or (project.group_chat_id if project else None)
    if chat_id is None:
        return
    text, markup = await render_card(session, org, ticket, locale)
    ref = CARD_REF.format(ticket_id=ticket.id)
    await outbox.replace_pending_edit(session, ref)
    await outbox.enqueue(
        session,
        chat_id=chat_id,
        method="editMessageText",
        now=now,
        ref=ref,
        payload={"text": text, "parse_mode": "HTML", "reply_markup": markup},
    )


async def tell_group(session: AsyncSession, ticket: Ticket, now: datetime, text: str) -> None:
    """A short line in the project group about the ticket (a resident comment, a re-open)."""
    project = await session.get(OrgUnit, ticket.project_id)
    if project is None or project.group_chat_id is None:
        return
    payload: dict = {"text": text, "parse_mode": "HTML"}
    if ticket.card_message_id and ticket.card_chat_id == project.group_chat_id:
        payload["reply_parameters"] = {
            "message_id": ticket.card_message_id,
            "allow_sending_without_reply": True,
        }
    if project.group_thread_id:
        payload["message_thread_id"] = project.group_thread_id
    await outbox.enqueue(
        session,
        chat_id=project.group_chat_id,
        method="sendMessage",
        payload=payload,
        now=now,
        ref=TICKET_NEWS_REF.format(ticket_id=ticket.id),
    )


RESIDENT_COMMENTED = N_("💬 {number}: the resident wrote:\n{text}")
REOPENED = N_("↩️ {number} was re-opened by the resident: {reason}")


async def resident_commented(
    session: AsyncSession, ticket: Ticket, now: datetime, locale: str, text: str
) -> None:
    line = translate(locale, RESIDENT_COMMENTED, number=ticket.number, text=html.escape(text))
    await tell_group(session, ticket, now, line)


async def reopened(
    session: AsyncSession, ticket: Ticket, now: datetime, locale: str, reason: str
) -> None:
    line = translate(locale, REOPENED, number=ticket.number, reason=html.escape(reason))
    await tell_group(session, ticket, now, line)


async def send_photo_to_group(
    session: AsyncSession, ticket: Ticket, now: datetime, file_id: str
) -> None:
    project = await session.get(OrgUnit, ticket.project_id)
    if project is None or project.group_chat_id is None:
        return
    payload: dict = {"photo": file_id, "caption": ticket.number}
    if project.group_thread_id:
        payload["message_thread_id"] = project.group_thread_id
    await outbox.enqueue(
        session, chat_id=project.group_chat_id, method="sendPhoto", payload=payload, now=now
    )


ANSWERED_PRIVATELY = N_("↪️ {name} answered the resident about {number}:\n{text}")
ASSIGNED_TO_YOU = N_("📌 {name} assigned ticket {number} to you.")
MOVED_AWAY = N_("➡️ {number} was moved to {project}.")


async def answered_privately(
    session: AsyncSession,
    ticket: Ticket,
    now: datetime,
    locale: str,
    author_name: str | None,
    text: str,
) -> None:
    """A reply written in a private chat also shows in the group, so colleagues know."""
    line = translate(
        locale,
        ANSWERED_PRIVATELY,
        name=html.escape(author_name or "—"),
        number=ticket.number,
        text=html.escape(text),
    )
    await tell_group(session, ticket, now, line)


async def assigned_to_you(
    session: AsyncSession,
    org: Organisation,
    ticket: Ticket,
    now: datetime,
    person_id: int,
    by: Actor,
) -> None:
    """The new assignee hears about it privately, with the card to act on."""
    person = await session.get(Person, person_id)
    if person is None or person.telegram_id is None or not person.reachable:
        return
    if by.person_id == person_id:
        return
    author = await session.get(Person, by.person_id) if by.person_id else None
    default = normalise_locale(org.default_language) or DEFAULT_LOCALE
    locale = pick_locale(person.language, person.telegram_language, default)
    line = translate(
        locale,
        ASSIGNED_TO_YOU,
        name=html.escape((author.full_name if author else None) or "—"),
        number=ticket.number,
    )
    text, markup = await render_card(session, org, ticket, locale)
    await outbox.enqueue_text(
        session, chat_id=person.telegram_id, text=f"{line}\n\n{text}", reply_markup=markup, now=now
    )


async def card_moved_away(
    session: AsyncSession,
    ticket: Ticket,
    now: datetime,
    locale: str,
    old_chat_id: int,
    old_message_id: int,
) -> None:
    """The old group's card says where the ticket went, and loses its buttons."""
    project = await session.get(OrgUnit, ticket.project_id)
    text = translate(
        locale,
        MOVED_AWAY,
        number=ticket.number,
        project=html.escape(project.name if project else "—"),
    )
    await outbox.enqueue(
        session,
        chat_id=old_chat_id,
        method="editMessageText",
        now=now,
        payload={"message_id": old_message_id, "text": text, "parse_mode": "HTML"},
    )
