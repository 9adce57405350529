"""What Telegram's delivery answers mean for our records."""

from __future__ import annotations

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import OrgUnit, OutboxMessage, OutboxStatus, Person


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
