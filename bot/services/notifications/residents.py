"""News about a ticket for the resident who filed it and everyone who joined it."""

from __future__ import annotations

import html
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot.callback_formats import resident_ticket_button
from bot.i18n import N_, translate
from bot.services import outbox
from bot.services.notifications.recipients import Recipient, ticket_residents
from bot.services.notifications.texts import status_name
from storage.models import Ticket

STATUS_CHANGED = N_("Ticket {number}: status is now “{status}”.")
STAFF_REPLIED = N_("Reply from the property office about {number}:\n{text}")
ASKED_FOR_ANSWER = N_(
    "The property office needs more information about {number}:\n{text}\n\n"
    "Answer from “My tickets” → {number} → Add a comment."
)
RESOLVED = N_("Ticket {number} has been resolved: {text}\n\nIs the problem fixed?")
FIXED_BUTTON = N_("✅ Fixed")
NOT_FIXED_BUTTON = N_("❌ Not fixed")
CANCELLED_BY_STAFF = N_("Ticket {number} was cancelled by the property office: {reason}")


async def _send(
    session: AsyncSession,
    ticket: Ticket,
    now: datetime,
    default_locale: str,
    render,
    *,
    exclude_person_id: int | None = None,
) -> None:
    for recipient in await ticket_residents(
        session, ticket, default_locale, exclude_person_id=exclude_person_id
    ):
        text, markup = render(recipient)
        await outbox.enqueue_text(
            session, chat_id=recipient.chat_id, text=text, reply_markup=markup, now=now
        )


async def status_changed(
    session: AsyncSession,
    ticket: Ticket,
    now: datetime,
    default_locale: str,
    *,
    exclude_person_id: int | None = None,
) -> None:
    def render(r: Recipient) -> tuple[str, None]:
        status = status_name(r.locale, ticket.status)
        return translate(r.locale, STATUS_CHANGED, number=ticket.number, status=status), None

    await _send(session, ticket, now, default_locale, render, exclude_person_id=exclude_person_id)


async def staff_replied(
    session: AsyncSession,
    ticket: Ticket,
    now: datetime,
    default_locale: str,
    text: str,
    photos: Sequence[Any] = (),
    *,
    asking: bool = False,
) -> None:
    """Relay a staff answer (and its photos) to the resident and followers."""
    template = ASKED_FOR_ANSWER if asking else STAFF_REPLIED
    for recipient in await ticket_residents(session, ticket, default_locale):
        message = translate(
            recipient.locale, template, number=ticket.number, text=html.escape(text)
        )
        await outbox.enqueue_text(session, chat_id=recipient.chat_id, text=message, now=now)
        for photo in photos:
            await outbox.enqueue(
                session,
                chat_id=recipient.chat_id,
                method="sendPhoto",
                now=now,
                payload={"photo": photo.file_id, "caption": ticket.number},
            )


async def resolved(
    session: AsyncSession, ticket: Ticket, now: datetime, default_locale: str, text: str
) -> None:
    def render(r: Recipient) -> tuple[str, dict]:
        buttons = [
            {
                "text": translate(r.locale, FIXED_BUTTON),
                "callback_data": resident_ticket_button("fixed", ticket.id, ticket.version),
            },
            {
                "text": translate(r.locale, NOT_FIXED_BUTTON),
                "callback_data": resident_ticket_button("notfixed", ticket.id, ticket.version),
            },
        ]
        message = translate(r.locale, RESOLVED, number=ticket.number, text=html.escape(text))
        return message, {"inline_keyboard": [buttons]}

    await _send(session, ticket, now, default_locale, render)


async def cancelled_by_staff(
    session: AsyncSession, ticket: Ticket, now: datetime, default_locale: str, reason: str
) -> None:
    def render(r: Recipient) -> tuple[str, None]:
        text = translate(
            r.locale, CANCELLED_BY_STAFF, number=ticket.number, reason=html.escape(reason)
        )
        return text, None

    await _send(session, ticket, now, default_locale, render)
