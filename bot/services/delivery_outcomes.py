"""What Telegram's delivery answers mean for our records."""

from __future__ import annotations

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import OrgUnit, OutboxMessage, OutboxStatus, Person, Ticket


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


async def recipient_unreachable(session: AsyncSession, chat_id: int) -> None:
    """Telegram answered 403: the person blocked us, or the group removed us."""
    if chat_id > 0:
        await session.execute(
            update(Person).where(Person.telegram_id == chat_id).values(reachable=False)
        )


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
