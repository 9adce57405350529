"""Queueing notifications for delivery.

Anything sent to someone other than the sender of the current update goes
through here, in the same transaction as the change that causes it; the sender
job (``scheduler/outbox_sender.py``) delivers it later and never drops it.
Payloads are Telegram Bot API parameters as plain JSON.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.dialect import insert_ignoring_duplicates
from storage.models import OutboxMessage, OutboxStatus

DELIVERABLE_METHODS = frozenset(
    {
        "sendMessage",
        "sendPhoto",
        "sendDocument",
        "sendMediaGroup",
        "copyMessage",
        "editMessageText",
        "editMessageReplyMarkup",
        "deleteMessage",
    }
)


async def enqueue(
    session: AsyncSession,
    *,
    chat_id: int,
    method: str,
    payload: dict[str, Any],
    now: datetime,
    dedup_key: str | None = None,
    ref: str | None = None,
) -> bool:
    """Queue one Bot API call. Returns False when ``dedup_key`` was queued before.

    ``ref`` names what the message is about (``ticket-card:42``): an edit queued
    with a ref and no ``message_id`` is applied to the message first sent with
    that ref, whenever that one is delivered.
    """
    if method not in DELIVERABLE_METHODS:
        raise ValueError(f"{method} is not a method the outbox delivers")
    row = {
        "chat_id": chat_id,
        "method": method,
        "payload": {k: v for k, v in payload.items() if k != "chat_id"},
        "dedup_key": dedup_key,
        "ref": ref,
        "status": OutboxStatus.PENDING.value,
        "attempts": 0,
        "created_at": now,
        "next_attempt_at": now,
    }
    if dedup_key is None:
        session.add(OutboxMessage(**{**row, "status": OutboxStatus.PENDING}))
        await session.flush()
        return True
    inserted = await insert_ignoring_duplicates(
        session, OutboxMessage.__table__, [row], conflict_columns=["dedup_key"]
    )
    return inserted == 1


async def enqueue_text(
    session: AsyncSession,
    *,
    chat_id: int,
    text: str,
    now: datetime,
    reply_markup: dict[str, Any] | None = None,
    thread_id: int | None = None,
    dedup_key: str | None = None,
) -> bool:
    payload: dict[str, Any] = {"text": text, "parse_mode": "HTML"}
    if reply_markup is not None:
        payload["reply_markup"] = reply_markup
    if thread_id is not None:
        payload["message_thread_id"] = thread_id
    return await enqueue(
        session,
        chat_id=chat_id,
        method="sendMessage",
        payload=payload,
        now=now,
        dedup_key=dedup_key,
    )


async def replace_pending_edit(session: AsyncSession, ref: str) -> None:
    """Drop not-yet-sent edits of the same message: only the newest content matters."""
    await session.execute(
        delete(OutboxMessage).where(
            OutboxMessage.ref == ref,
            OutboxMessage.status == OutboxStatus.PENDING,
            OutboxMessage.method == "editMessageText",
            OutboxMessage.locked_by.is_(None),
        )
    )


async def pending_count(session: AsyncSession) -> int:
    return (
        await session.scalar(
            select(func.count()).where(OutboxMessage.status == OutboxStatus.PENDING)
        )
        or 0
    )
