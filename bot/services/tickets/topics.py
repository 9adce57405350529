"""Where staff talk about a ticket in a group: its forum topic, or the bot's lines about it.

In a staff group that is a forum (Telegram's Topics), each ticket has a topic of its
own: its card opens it, the resident's messages appear in it, and what staff write in
it goes to the resident (except internal notes). The topic is recorded on the ticket
in two steps: the chat when its creation is queued (:func:`topic_queued`), the thread
once Telegram created it (``delivery_outcomes.message_delivered``). Its title and
whether it is closed follow the ticket (:func:`topic_titled`, :func:`topic_closed`),
so Telegram is asked only for real changes.

In a plain group, a Telegram reply to a line the bot posted about a ticket (the
resident's words, a re-open reason, an answer given privately) answers that ticket:
:func:`ticket_of_group_line` finds it from the outbox, which keeps the Telegram id of
every message it delivered.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.i18n import N_
from bot.services import access
from bot.services.context import Context
from bot.services.errors import Refused
from bot.services.people import Actor
from bot.services.tickets import lifecycle
from bot.services.tickets.lifecycle import Photo
from bot.services.tickets.transitions import is_open
from storage.models import OrgUnit, OutboxMessage, Ticket

# The ref of the bot's lines about a ticket in its staff group (the resident's words,
# a re-open, an answer given privately); erasure forgets them by this ref.
GROUP_LINE_REF_PREFIX = "ticket:"


def group_line_ref(ticket_id: int) -> str:
    return f"{GROUP_LINE_REF_PREFIX}{ticket_id}"


def has_own_topics(unit: OrgUnit | None) -> bool:
    """Tickets of this unit get a topic each: its group is a forum, and the group was not
    bound in one topic (a unit bound in a topic keeps all its cards there)."""
    return bool(
        unit is not None
        and unit.group_chat_id is not None
        and unit.group_is_forum
        and not unit.group_thread_id
    )


def topic_queued(ticket: Ticket, chat_id: int, title: str) -> None:
    """A topic for the ticket is being created in ``chat_id`` (its thread comes later)."""
    ticket.topic_chat_id = chat_id
    ticket.topic_thread_id = None
    ticket.topic_title = title
    ticket.topic_closed = False


def topic_titled(ticket: Ticket, title: str) -> bool:
    """The topic should be called ``title``: True if that is a change to send."""
    if ticket.topic_thread_id is None or ticket.topic_title == title:
        return False
    ticket.topic_title = title
    return True


def topic_closed(ticket: Ticket, closed: bool) -> bool:
    """The topic should be closed (or open): True if that is a change to send."""
    if ticket.topic_thread_id is None or ticket.topic_closed == closed:
        return False
    ticket.topic_closed = closed
    return True


def topic_left(ticket: Ticket) -> tuple[int, int] | None:
    """The ticket leaves its topic (it moved to another project): ``(chat, thread)`` of
    the old topic, to close it, if it was created."""
    old = (ticket.topic_chat_id, ticket.topic_thread_id)
    ticket.topic_chat_id = ticket.topic_thread_id = ticket.topic_title = None
    ticket.topic_closed = False
    if old[0] is None or old[1] is None:
        return None
    return old[0], old[1]


async def ticket_in_topic(session: AsyncSession, chat_id: int, thread_id: int) -> int | None:
    """The ticket whose topic this is (None: another topic of the forum)."""
    found: int | None = await session.scalar(
        select(Ticket.id)
        .where(Ticket.topic_chat_id == chat_id, Ticket.topic_thread_id == thread_id)
        .order_by(Ticket.id.desc())
        .limit(1)
    )
    return found


async def ticket_of_group_line(session: AsyncSession, chat_id: int, message_id: int) -> int | None:
    """The ticket a line the bot posted in this group was about (None: another message)."""
    ref = await session.scalar(
        select(OutboxMessage.ref)
        .where(
            OutboxMessage.chat_id == chat_id,
            OutboxMessage.telegram_message_id == message_id,
            OutboxMessage.ref.startswith(GROUP_LINE_REF_PREFIX, autoescape=True),
        )
        .limit(1)
    )
    if ref is None:
        return None
    ticket_id = ref.removeprefix(GROUP_LINE_REF_PREFIX)
    return int(ticket_id) if ticket_id.isdigit() else None


class NotOpenForAnswers(Refused):
    """Written to the resident about a ticket that is no longer open: nothing is sent."""

    code = "ticket_not_open"
    default_reason = N_(
        "{number} is no longer open, so this was not sent to the resident. "
        "An internal note (/note) is still possible."
    )


async def staff_says(
    session: AsyncSession,
    ctx: Context,
    ticket_id: int,
    actor: Actor | None,
    text: str,
    photos: list[Photo],
) -> Ticket:
    """What a staff member wrote in the ticket's topic, or as a Telegram reply to a line
    about it, goes to the resident (the lifecycle authorises and records it)."""
    access.require_staff(actor)
    ticket = await session.get(Ticket, ticket_id)
    if ticket is not None and not is_open(ticket.status):
        raise NotOpenForAnswers(ticket_id=ticket_id, number=ticket.number)
    return await lifecycle.reply_to_resident(session, ctx, ticket_id, actor, text, photos)
