"""Who receives a ticket's news, and in which language."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.i18n import pick_locale, translate
from bot.presentation import outbox
from bot.services.context import Context
from storage.models import Person, Ticket, TicketFollower


@dataclass(frozen=True)
class Recipient:
    person_id: int
    chat_id: int
    locale: str


def recipient_for(person: Person | None, default_locale: str) -> Recipient | None:
    """Where and in which language to write to someone (None: gone, or unreachable)."""
    if person is None or person.telegram_id is None or not person.reachable:
        return None
    return Recipient(
        person.id,
        person.telegram_id,
        pick_locale(person.language, person.telegram_language, default_locale),
    )


async def tell(
    session: AsyncSession, ctx: Context, recipient: Recipient, msgid: str, **values: object
) -> None:
    """One message to one person, in their own language."""
    text = translate(recipient.locale, msgid, **values)
    await outbox.enqueue_text(session, chat_id=recipient.chat_id, text=text, now=ctx.now)


async def ticket_residents(
    session: AsyncSession,
    ticket: Ticket,
    default_locale: str,
    *,
    exclude_person_id: int | None = None,
) -> list[Recipient]:
    """The resident who filed the ticket and everyone who joined it."""
    ids = [ticket.resident_id] if ticket.resident_id else []
    ids += list(
        (
            await session.scalars(
                select(TicketFollower.person_id).where(TicketFollower.ticket_id == ticket.id)
            )
        ).all()
    )
    people = (await session.scalars(select(Person).where(Person.id.in_(ids)))).all() if ids else []
    found = [recipient_for(p, default_locale) for p in people if p.id != exclude_person_id]
    return [r for r in found if r is not None]
