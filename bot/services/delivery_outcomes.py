"""What Telegram's delivery answers mean for our records."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.services import bound_groups
from bot.services.context import Context, Notice
from bot.services.people import Actor
from storage import outbox_queue
from storage.db import rows_changed
from storage.models import InactiveChat, OrgUnit, OutboxMessage, OutboxStatus, Person, Ticket


async def group_migrated(session: AsyncSession, old_chat_id: int, new_chat_id: int) -> None:
    """A group became a supergroup: its binding and its queued messages follow it."""
    await session.execute(
        update(OrgUnit)
        .where(OrgUnit.group_chat_id == old_chat_id)
        .values(group_chat_id=new_chat_id)
    )
    bound_groups.forget(session)
    await session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.chat_id == old_chat_id, OutboxMessage.status == OutboxStatus.PENDING)
        .values(chat_id=new_chat_id)
    )
    # Messages of the old chat cannot be edited in the new one: cards there are detached,
    # so the next edit of each posts the current card in the supergroup instead.
    await session.execute(
        update(Ticket)
        .where(Ticket.card_chat_id == old_chat_id)
        .values(card_chat_id=None, card_message_id=None)
    )


async def recipient_unreachable(
    session: AsyncSession, chat_id: int, now: datetime | None = None, reason: str | None = None
) -> None:
    """Telegram answered 403: the person blocked us, or the group removed us.

    A group is remembered as inactive: escalations skip it (they go one level up)
    until a message reaches it again.
    """
    if chat_id > 0:
        await session.execute(
            update(Person).where(Person.telegram_id == chat_id).values(reachable=False)
        )
    elif now is not None:
        await session.execute(delete(InactiveChat).where(InactiveChat.chat_id == chat_id))
        session.add(InactiveChat(chat_id=chat_id, since=now, reason=reason))


# Messages held for someone who had blocked the bot are sent when they are back if they
# are younger than this; older news is stale (the resident is pointed to their tickets).
HELD_MESSAGES_RESENT_FOR = timedelta(days=7)


@dataclass(frozen=True)
class BackInTouch(Notice):
    """Someone who had blocked the bot wrote to it again: ``resent`` held messages go out
    again, ``not_resent`` were too old; whatever happened meanwhile was not sent at all."""

    person_id: int
    chat_id: int
    resent: int
    not_resent: int
    is_staff: bool


async def heard_from(session: AsyncSession, ctx: Context, actor: Actor) -> None:
    """The person wrote to the bot in their own private chat, so it can reach them again,
    whatever a 403 once said. Writes only when they were marked unreachable.

    Called for every update from a person; costs nothing for people never marked.
    """
    if actor.reachable or actor.person_id is None:
        return
    back = await rows_changed(
        session,
        update(Person)
        .where(Person.id == actor.person_id, Person.reachable.is_(False))
        .values(reachable=True),  # the loaded Person (the actor's) follows
    )
    if not back:
        return  # another update of theirs got here first
    chat_id = actor.telegram_id
    resent = await outbox_queue.requeue_held(
        session, chat_id, since=ctx.now - HELD_MESSAGES_RESENT_FOR, now=ctx.now
    )
    not_resent = await outbox_queue.count_held(session, chat_id)
    await ctx.announce(
        session, BackInTouch(actor.person_id, chat_id, resent, not_resent, actor.is_staff)
    )


async def group_reachable(
    session: AsyncSession, chat_id: int, *, is_forum: bool | None = None
) -> None:
    """A message reached the group: it is active again. ``is_forum``, when Telegram said
    (the chat of the message it returned), is remembered for the units bound to it."""
    if chat_id < 0:
        await session.execute(delete(InactiveChat).where(InactiveChat.chat_id == chat_id))
        if is_forum is not None:
            await group_seen(session, chat_id, is_forum=is_forum)


async def group_seen(session: AsyncSession, chat_id: int, *, is_forum: bool) -> None:
    """A group was seen to be a forum (Telegram's Topics) or not: each ticket of a unit
    bound to a forum gets its own topic. Writes only when it changed."""
    await session.execute(
        update(OrgUnit)
        .where(OrgUnit.group_chat_id == chat_id, OrgUnit.group_is_forum.is_not(is_forum))
        .values(group_is_forum=is_forum)
    )


CARD_REF_PREFIX = "ticket-card:"
# A ticket's forum topic (createForumTopic): its "message id" is the topic's thread id.
TOPIC_REF_PREFIX = "ticket-topic:"
# In a queued message's payload: the message goes to the forum topic created under this
# ref, resolved when it is sent (the topic may not exist yet when the message is queued).
IN_TOPIC_OF = "in_topic_of"


def topic_ref(ticket_id: int) -> str:
    return f"{TOPIC_REF_PREFIX}{ticket_id}"


def ticket_of_topic(ref: str) -> int | None:
    """The ticket whose topic ``ref`` creates (None: not a topic's ref)."""
    return int(ref.removeprefix(TOPIC_REF_PREFIX)) if ref.startswith(TOPIC_REF_PREFIX) else None


async def message_delivered(session: AsyncSession, ref: str, chat_id: int, message_id: int) -> None:
    """Remember where a message about something landed, so it can be edited later (for a
    topic, ``message_id`` is the created topic's thread id)."""
    if ref.startswith(CARD_REF_PREFIX):
        await session.execute(
            update(Ticket)
            .where(Ticket.id == int(ref.removeprefix(CARD_REF_PREFIX)))
            .values(card_chat_id=chat_id, card_message_id=message_id)
        )
    elif ref.startswith(TOPIC_REF_PREFIX):
        await session.execute(
            update(Ticket)
            .where(
                Ticket.id == int(ref.removeprefix(TOPIC_REF_PREFIX)),
                Ticket.topic_chat_id == chat_id,
            )
            .values(topic_thread_id=message_id)
        )


async def delivered_message_for(session: AsyncSession, ref: str) -> tuple[int, int] | None:
    """``(chat_id, message_id)`` of the message sent for ``ref``, if it was delivered
    (for a topic ref: ``(chat_id, thread_id)`` of the topic, once created)."""
    if ref.startswith(CARD_REF_PREFIX):
        ticket = await session.get(Ticket, int(ref.removeprefix(CARD_REF_PREFIX)))
        if ticket is not None and ticket.card_message_id is not None and ticket.card_chat_id:
            return ticket.card_chat_id, ticket.card_message_id
    elif ref.startswith(TOPIC_REF_PREFIX):
        ticket = await session.get(Ticket, int(ref.removeprefix(TOPIC_REF_PREFIX)))
        if ticket is not None and ticket.topic_thread_id is not None and ticket.topic_chat_id:
            return ticket.topic_chat_id, ticket.topic_thread_id
    return None
