"""How much waits in the inbox and the outbox, and since when (for health and metrics).

Two small aggregate queries on the queues' status indexes; nothing is locked.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import InboundStatus, InboundUpdate, OutboxMessage, OutboxStatus


@dataclass(frozen=True)
class Queue:
    pending: int
    oldest: datetime | None  # when the oldest pending item was stored

    def oldest_age_seconds(self, now: datetime) -> float:
        if self.oldest is None:
            return 0.0
        return max(0.0, (now - self.oldest).total_seconds())


@dataclass(frozen=True)
class Backlog:
    inbox: Queue
    outbox: Queue


async def backlog(session: AsyncSession) -> Backlog:
    inbox = (
        await session.execute(
            select(func.count(), func.min(InboundUpdate.received_at)).where(
                InboundUpdate.status == InboundStatus.PENDING
            )
        )
    ).one()
    outbox = (
        await session.execute(
            select(func.count(), func.min(OutboxMessage.created_at)).where(
                OutboxMessage.status == OutboxStatus.PENDING
            )
        )
    ).one()
    # ``min`` keeps the column's type: the times come back aware UTC.
    return Backlog(Queue(inbox[0], inbox[1]), Queue(outbox[0], outbox[1]))
