"""Dead letters and unreachable recipients of the outbox, for admins.

Used by the ``/outbox`` admin command and ``resident-bot outbox``: how many
messages are in each state, the newest ones that failed with Telegram's reason,
and a way to queue dead messages again once the cause is fixed.
"""

from __future__ import annotations

import html
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from storage import outbox_queue
from storage.models import OutboxMessage, OutboxStatus

_TAGS = re.compile(r"<[^>]+>")


@dataclass(frozen=True)
class FailedMessage:
    id: int
    chat_id: int
    method: str
    attempts: int
    created_at: datetime
    last_error: str | None
    excerpt: str


@dataclass(frozen=True)
class OutboxReport:
    counts: dict[OutboxStatus, int]
    status: OutboxStatus
    messages: list[FailedMessage]


def _excerpt(message: OutboxMessage, length: int = 60) -> str:
    if outbox_queue.is_sealed(message.payload):
        return "🔒"  # a reply that may carry personal data: not shown
    text = message.payload.get("text") or message.payload.get("caption") or ""
    plain = html.unescape(_TAGS.sub("", str(text))).replace("\n", " ")
    return plain if len(plain) <= length else plain[: length - 1] + "…"


async def report(session: AsyncSession, status: OutboxStatus, limit: int = 20) -> OutboxReport:
    rows = await outbox_queue.list_messages(session, status, limit)
    return OutboxReport(
        counts=await outbox_queue.count_by_status(session),
        status=status,
        messages=[
            FailedMessage(
                m.id, m.chat_id, m.method, m.attempts, m.created_at, m.last_error, _excerpt(m)
            )
            for m in rows
        ],
    )


async def retry(session: AsyncSession, message_ids: Sequence[int], now: datetime) -> int:
    return await outbox_queue.requeue(session, message_ids, now)


def render_plain(result: OutboxReport) -> str:
    counts = ", ".join(f"{s.value}: {result.counts.get(s, 0)}" for s in OutboxStatus)
    lines = [f"outbox — {counts}", f"newest {result.status.value}:"]
    if not result.messages:
        lines.append("  (none)")
    for m in result.messages:
        lines.append(
            f"  #{m.id} chat {m.chat_id} {m.method} attempts {m.attempts} "
            f"{m.created_at:%Y-%m-%d %H:%M} UTC — {m.last_error or '?'} — {m.excerpt}"
        )
    return "\n".join(lines)
