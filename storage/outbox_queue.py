"""Queries behind the outbox sender: claim what is due, record what happened."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, exists, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from storage.models import OutboxMessage, OutboxStatus


def _free(now: datetime) -> Any:
    return or_(OutboxMessage.locked_until.is_(None), OutboxMessage.locked_until < now)


async def claim_due(
    session: AsyncSession, sender_id: str, now: datetime, lease: timedelta, limit: int = 50
) -> list[OutboxMessage]:
    """Claim due messages, only the oldest pending one per chat so a chat's order holds."""
    earlier = aliased(OutboxMessage)
    has_earlier_pending = exists().where(
        earlier.chat_id == OutboxMessage.chat_id,
        earlier.status == OutboxStatus.PENDING,
        earlier.id < OutboxMessage.id,
    )
    candidates: Sequence[OutboxMessage] = (
        await session.scalars(
            select(OutboxMessage)
            .where(
                OutboxMessage.status == OutboxStatus.PENDING,
                OutboxMessage.next_attempt_at <= now,
                _free(now),
                ~has_earlier_pending,
            )
            .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id)
            .limit(limit)
        )
    ).all()
    claimed = []
    for row in candidates:
        result = await session.execute(
            update(OutboxMessage)
            .where(
                and_(OutboxMessage.id == row.id, OutboxMessage.status == OutboxStatus.PENDING),
                _free(now),
            )
            .values(locked_by=sender_id, locked_until=now + lease)
            .execution_options(synchronize_session=False)
        )
        if result.rowcount == 1:
            claimed.append(row)
    return claimed


async def settle(session: AsyncSession, message_id: int, **values: Any) -> None:
    """Write the outcome of one delivery attempt and release the claim."""
    await session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == message_id)
        .values(locked_by=None, locked_until=None, **values)
        .execution_options(synchronize_session=False)
    )


async def release_all_locks(session: AsyncSession) -> None:
    await session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.status == OutboxStatus.PENDING, OutboxMessage.locked_by.is_not(None))
        .values(locked_by=None, locked_until=None)
    )
