"""Which ticket a resident's message is about, when they write outside any conversation.

A resident answering the office does not open "My tickets" first: they reply to the
office's message, or simply write. So, in order:

1. a Telegram reply to a message the bot sent them about a ticket (a staff answer, a
   status change) is about that ticket;
2. while exactly one of their tickets waits for their answer, what they write is that
   answer;
3. with several tickets waiting, they are asked which (or whether it is something new);
4. otherwise it may be a new problem (the offer to file it), with their open tickets
   offered as the place to add it instead.

Messages about a ticket are queued with the ref :func:`news_ref`; the outbox keeps the
Telegram id of each one it delivered, which is how a reply finds its ticket.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.services.tickets.transitions import OPEN_STATUSES
from storage.models import OutboxMessage, Ticket, TicketFollower, TicketStatus

NEWS_REF_PREFIX = "news:"
MAX_OFFERED = 3  # open tickets offered beside "new request"


def news_ref(ticket_id: int) -> str:
    """The outbox ref of a message to a resident about a ticket."""
    return f"{NEWS_REF_PREFIX}{ticket_id}"


@dataclass(frozen=True)
class OpenTicket:
    id: int
    number: str
    waiting: bool  # the office waits for the resident's answer


def _theirs(person_id: int):
    followed = select(TicketFollower.ticket_id).where(TicketFollower.person_id == person_id)
    return or_(Ticket.resident_id == person_id, Ticket.id.in_(followed))


async def open_tickets(session: AsyncSession, person_id: int) -> list[OpenTicket]:
    """The resident's open tickets (their own and joined), waiting ones first, newest first."""
    rows = await session.execute(
        select(Ticket.id, Ticket.number, Ticket.status)
        .where(_theirs(person_id), Ticket.status.in_(OPEN_STATUSES))
        .order_by(Ticket.id.desc())
    )
    found = [OpenTicket(i, n, s is TicketStatus.WAITING_ON_RESIDENT) for i, n, s in rows]
    return sorted(found, key=lambda t: not t.waiting)


async def ticket_replied_to(
    session: AsyncSession, person_id: int, chat_id: int, message_id: int
) -> OpenTicket | None:
    """The open ticket of the resident that the bot's message ``message_id`` was about."""
    tickets = await open_tickets(session, person_id)
    if not tickets:
        return None
    refs = {news_ref(t.id): t for t in tickets}
    ref = await session.scalar(
        select(OutboxMessage.ref)
        .where(
            OutboxMessage.ref.in_(list(refs)),
            OutboxMessage.chat_id == chat_id,
            OutboxMessage.telegram_message_id == message_id,
        )
        .limit(1)
    )
    return refs.get(ref) if ref else None


@dataclass(frozen=True)
class Routing:
    """Where a message outside any conversation goes."""

    answer_to: OpenTicket | None  # add it to this ticket
    ask_which: list[OpenTicket]  # several tickets wait: ask (with "new request")
    also_offer: list[OpenTicket]  # it may be new: offer these beside filing it


async def route(
    session: AsyncSession, person_id: int, chat_id: int, replied_message_id: int | None
) -> Routing:
    if replied_message_id is not None:
        replied = await ticket_replied_to(session, person_id, chat_id, replied_message_id)
        if replied is not None:
            return Routing(replied, [], [])
    tickets = await open_tickets(session, person_id)
    waiting = [t for t in tickets if t.waiting]
    if len(waiting) == 1:
        return Routing(waiting[0], [], [])
    if len(waiting) > 1:
        return Routing(None, waiting[:MAX_OFFERED], [])
    return Routing(None, [], tickets[:MAX_OFFERED])
