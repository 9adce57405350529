"""Who receives news, and where: a person in their language, a unit's staff group in
its forum topic."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.i18n import pick_locale, translate
from bot.presentation import outbox
from bot.services.context import Context
from storage.models import OrgUnit, Person, Ticket, TicketFollower


@dataclass(frozen=True)
class Recipient:
    person_id: int
    chat_id: int
    locale: str


def person_locale(person: Person | None, default_locale: str) -> str:
    """The language to write to someone in: their own (chosen, else Telegram's), else
    ``default_locale``."""
    if person is None:
        return default_locale
    return pick_locale(person.language, person.telegram_language, default_locale)


def recipient_for(person: Person | None, default_locale: str) -> Recipient | None:
    """Where and in which language to write to someone (None: gone, or unreachable)."""
    if person is None or person.telegram_id is None or not person.reachable:
        return None
    return Recipient(person.id, person.telegram_id, person_locale(person, default_locale))


async def recipient_of(
    session: AsyncSession, person_id: int, default_locale: str
) -> Recipient | None:
    """:func:`recipient_for` the person with this id."""
    return recipient_for(await session.get(Person, person_id), default_locale)


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


@dataclass(frozen=True)
class StaffGroup:
    """A unit's staff group chat, and the forum topic the bot was set up in (if any)."""

    chat_id: int
    thread_id: int | None

    def placement(self) -> dict[str, Any]:
        """Where in the group a message goes: the topic the group was bound in, if any."""
        return {} if self.thread_id is None else {"message_thread_id": self.thread_id}

    async def post(
        self,
        session: AsyncSession,
        text: str,
        *,
        now: datetime,
        reply_markup: dict[str, Any] | None = None,
        reply_to: int | None = None,
        ref: str | None = None,
        placement: Mapping[str, Any] | None = None,
    ) -> None:
        """One HTML message in the group, where ``placement`` says (a ticket's own topic:
        :func:`bot.presentation.outbound.topics.placement`), else in :meth:`placement`."""
        payload = {
            **outbox.html_payload(text, reply_markup=reply_markup, reply_to=reply_to),
            **(self.placement() if placement is None else placement),
        }
        await outbox.enqueue(
            session, chat_id=self.chat_id, method="sendMessage", payload=payload, now=now, ref=ref
        )


def staff_group(unit: OrgUnit | None) -> StaffGroup | None:
    """Where the unit's staff read (None: no group bound yet)."""
    if unit is None or unit.group_chat_id is None:
        return None
    return StaffGroup(unit.group_chat_id, unit.group_thread_id or None)
