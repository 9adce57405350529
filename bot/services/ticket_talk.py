"""Which ticket a resident's message is about, when they write outside any conversation.

A resident answering the office does not open "My tickets" first: they reply to the
office's message, or simply write. So, in order:

1. a Telegram reply to a message the bot sent them about a ticket (a staff answer, a
   status change, the filing confirmation, the ticket's detail) is about that ticket;
2. while exactly one of their tickets waits for their answer, what they write is that
   answer;
3. with several tickets waiting, they are asked which (or whether it is something new);
   so they are with several open tickets and none waiting (unless it is a danger: the
   hotline comes first);
4. otherwise it may be a new problem (the offer to file it), with their open ticket
   offered as the place to add it instead.

A reply finds its ticket in one of two ways. Messages queued about a ticket carry the
ref :func:`news_ref`, and the outbox keeps the Telegram id of each one it delivered.
The handler's own replies (the filing confirmation, the detail view) are not queued, so
the replied-to message's words are read too: Telegram hands them back with the reply,
and every message about one ticket names it; the one ticket of the resident it names
is the one (a message naming several, such as "My tickets", names none).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.services.intake import small_talk
from bot.services.tickets.transitions import COMMENTABLE_STATUSES, OPEN_STATUSES
from storage.models import (
    OrgUnit,
    OutboxMessage,
    Ticket,
    TicketFollower,
    TicketKind,
    TicketStatus,
)

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
    kind: TicketKind
    category_key: str | None  # with the kind, what the resident recognises it by
    status: TicketStatus
    project_key: str | None
    # The office's next promise: to respond (nobody has yet), else to resolve it; None
    # while its clock is stopped (waiting for the resident) or it is resolved.
    due_at: datetime | None


def _theirs(person_id: int):
    followed = select(TicketFollower.ticket_id).where(TicketFollower.person_id == person_id)
    return or_(Ticket.resident_id == person_id, Ticket.id.in_(followed))


async def open_tickets(
    session: AsyncSession, person_id: int, statuses: frozenset[TicketStatus] = OPEN_STATUSES
) -> list[OpenTicket]:
    """The resident's open tickets (their own and joined), waiting ones first, newest first."""
    project_key = (
        select(OrgUnit.key).where(OrgUnit.id == Ticket.project_id).scalar_subquery().label("key")
    )
    rows = await session.execute(
        select(
            Ticket.id,
            Ticket.number,
            Ticket.status,
            Ticket.kind,
            Ticket.category_key,
            project_key,
            Ticket.first_response_due_at,
            Ticket.first_responded_at,
            Ticket.resolution_due_at,
        )
        .where(_theirs(person_id), Ticket.status.in_(statuses))
        .order_by(Ticket.id.desc())
    )
    found = [
        OpenTicket(
            row.id,
            row.number,
            row.status is TicketStatus.WAITING_ON_RESIDENT,
            row.kind,
            row.category_key,
            row.status,
            row.key,
            _next_promise(
                row.status, row.first_response_due_at, row.first_responded_at, row.resolution_due_at
            ),
        )
        for row in rows
    ]
    return sorted(found, key=lambda t: not t.waiting)


def _next_promise(
    status: TicketStatus,
    response_due: datetime | None,
    responded: datetime | None,
    resolution_due: datetime | None,
) -> datetime | None:
    if status in (TicketStatus.WAITING_ON_RESIDENT, TicketStatus.RESOLVED):
        return None
    return response_due if responded is None else resolution_due


@dataclass(frozen=True)
class BotMessage:
    """The bot's message a resident replied to: its id and its words (text or caption)."""

    message_id: int
    words: str


def _names(words: str, number: str) -> bool:
    """Whether ``words`` name the ticket ``number`` (not a longer number containing it)."""
    return re.search(rf"(?<![\w-]){re.escape(number)}(?!\d)", words) is not None


async def ticket_replied_to(
    session: AsyncSession, person_id: int, chat_id: int, replied: BotMessage
) -> OpenTicket | None:
    """The resident's ticket that the bot's message ``replied`` was about, while it still
    takes their words (open, or resolved and awaiting their verdict)."""
    tickets = await open_tickets(session, person_id, COMMENTABLE_STATUSES)
    if not tickets:
        return None
    refs = {news_ref(t.id): t for t in tickets}
    ref = await session.scalar(
        select(OutboxMessage.ref)
        .where(
            OutboxMessage.ref.in_(list(refs)),
            OutboxMessage.chat_id == chat_id,
            OutboxMessage.telegram_message_id == replied.message_id,
        )
        .limit(1)
    )
    if ref:
        return refs.get(ref)
    named = [t for t in tickets if _names(replied.words, t.number)]
    return named[0] if len(named) == 1 else None


@dataclass(frozen=True)
class Routing:
    """Where a message outside any conversation goes."""

    answer_to: OpenTicket | None  # add it to this ticket
    ask_which: list[OpenTicket]  # several open tickets: ask which (or "new request")
    also_offer: list[OpenTicket]  # it may be new: offer these beside filing it

    def asks_which(self, text: str, with_photos: bool) -> bool:
        """Whether the resident is asked which ticket this is about. A greeting or thanks
        alone is about none of them, unless the office waits for their answer (then an
        "ok" may be the answer)."""
        if not self.ask_which:
            return False
        return self.asked_for_waiting or with_photos or not small_talk.pleasantry(text)

    def asks_for_news(self, text: str, with_photos: bool) -> bool:
        """Whether the resident asks how their open tickets are getting on ("进度怎么样了？")
        while the office waits for no answer of theirs: they are told where each stands."""
        tickets = self.ask_which or self.also_offer
        if not tickets or with_photos or any(t.waiting for t in tickets):
            return False
        return small_talk.asks_for_news(text)

    @property
    def asked_for_waiting(self) -> bool:
        """Asked which because several tickets wait for the resident's answer."""
        return bool(self.ask_which) and all(t.waiting for t in self.ask_which)


async def route(
    session: AsyncSession, person_id: int, chat_id: int, replied: BotMessage | None
) -> Routing:
    if replied is not None:
        ticket = await ticket_replied_to(session, person_id, chat_id, replied)
        if ticket is not None:
            return Routing(ticket, [], [])
    tickets = await open_tickets(session, person_id)
    waiting = [t for t in tickets if t.waiting]
    if len(waiting) == 1:
        return Routing(waiting[0], [], [])
    if len(waiting) > 1:
        return Routing(None, waiting[:MAX_OFFERED], [])
    if len(tickets) > 1:
        return Routing(None, tickets[:MAX_OFFERED], [])
    return Routing(None, [], tickets)
