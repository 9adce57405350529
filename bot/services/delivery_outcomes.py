"""What Telegram's delivery answers mean for our records."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import InactiveChat, OrgUnit, OutboxMessage, OutboxStatus, Person, Ticket


async def group_migrated(session: AsyncSession, old_chat_id: int, new_chat_id: int) -> None:
    """A group became a supergroup: its binding and its queued messages follow it."""
    await session.execute(
        update(OrgUnit)
        .where(OrgUnit.group_chat_id == old_chat_id)
        .values(group_chat_id=new_chat_id)
    )
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


async def group_reachable(session: AsyncSession, chat_id: int) -> None:
    """A message reached the group: it is active again."""
    if chat_id < 0:
        await session.execute(delete(InactiveChat).where(InactiveChat.chat_id == chat_id))


CARD_REF_PREFIX = "ticket-card:"


async def message_delivered(session: AsyncSession, ref: str, chat_id: int, message_id: int) -> None:
    """Remember where a message about something landed, so it can be edited later."""
    if ref.startswith(CARD_REF_PREFIX):
        await session.execute(
            update(Ticket)
            .where(Ticket.id == int(ref.removeprefix(CARD_REF_PREFIX)))
            .values(card_chat_id=chat_id, card_message_id=message_id)
        )


async def delivered_message_for(session: AsyncSession, ref: str) -> tuple[int, int] | None:
    """``(chat_id, message_id)`` of the message sent for ``ref``, if it was delivered."""
    if ref.startswith(CARD_REF_PREFIX):
        ticket = await session.get(Ticket, int(ref.removeprefix(CARD_REF_PREFIX)))
        if ticket is not None and ticket.card_message_id is not None and ticket.card_chat_id:
            return ticket.card_chat_id, ticket.card_message_id
    return None
