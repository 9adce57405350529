"""Queueing notifications for delivery.

Anything sent to someone other than the sender of the current update goes
through here, in the same transaction as the change that causes it; the sender
job (``scheduler/outbox_sender.py``) delivers it later and never drops it.
Payloads are Telegram Bot API parameters as plain JSON, or sealed (encrypted) when
they may carry personal data (replies handed over after the commit).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.presentation.message_split import (
    CAPTION_LIMIT,
    TEXT_LIMIT,
    split_html,
    truncate_html,
    units,
)
from storage import outbox_queue
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
        "editMessageCaption",  # a notice with a photo, corrected or withdrawn
        "editMessageReplyMarkup",
        "deleteMessage",
        "setMyCommands",  # a staff member's own menu (chat scope)
        "deleteMyCommands",
        "createForumTopic",  # a ticket's own topic in a forum staff group
        "editForumTopic",
        "closeForumTopic",
        "reopenForumTopic",
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
    sealed: bool = False,
) -> bool:
    """Queue one Bot API call. Returns False when ``dedup_key`` was queued before.

    ``ref`` names what the message is about (``ticket-card:42``): an edit queued
    with a ref and no ``message_id`` is applied to the message first sent with
    that ref, whenever that one is delivered. ``sealed``: the call may carry personal
    data; it is stored encrypted and forgotten once sent (``outbox_queue.sealed``).
    """
    if method not in DELIVERABLE_METHODS:
        raise ValueError(f"{method} is not a method the outbox delivers")
    payload = _fit(method, payload)
    text = payload.get("text")
    if method == "sendMessage" and isinstance(text, str) and units(text) > TEXT_LIMIT:
        return await _enqueue_parts(
            session,
            chat_id=chat_id,
            payload=payload,
            now=now,
            dedup_key=dedup_key,
            ref=ref,
            sealed=sealed,
        )
    stored = {k: v for k, v in payload.items() if k != "chat_id"}
    row = {
        "chat_id": chat_id,
        "method": method,
        "payload": outbox_queue.sealed(stored) if sealed else stored,
        "dedup_key": dedup_key,
        "ref": ref,
        "status": OutboxStatus.PENDING.value,
        "attempts": 0,
        "created_at": now,
        "next_attempt_at": now,
    }
    outbox_queue.note_due(session)
    if dedup_key is None:
        session.add(OutboxMessage(**{**row, "status": OutboxStatus.PENDING}))
        await session.flush()
        return True
    inserted = await insert_ignoring_duplicates(
        session, OutboxMessage, [row], conflict_columns=["dedup_key"]
    )
    return inserted == 1


def _fit(method: str, payload: dict[str, Any]) -> dict[str, Any]:
    """Texts that cannot be split (edits, captions) are shortened to what Telegram takes."""
    if method == "editMessageText" and isinstance(payload.get("text"), str):
        return {**payload, "text": truncate_html(payload["text"], TEXT_LIMIT)}
    if isinstance(payload.get("caption"), str):
        return {**payload, "caption": truncate_html(payload["caption"], CAPTION_LIMIT)}
    return payload


async def _enqueue_parts(
    session: AsyncSession,
    *,
    chat_id: int,
    payload: dict[str, Any],
    now: datetime,
    dedup_key: str | None,
    ref: str | None,
    sealed: bool,
) -> bool:
    """A text over Telegram's limit becomes several messages, in order.

    The buttons and the ``ref`` go with the last part (the one people act on);
    the first part carries the ``dedup_key``, so a repeat queues nothing.
    """
    parts = split_html(payload["text"], TEXT_LIMIT)
    markup = payload.get("reply_markup")
    base = {k: v for k, v in payload.items() if k not in ("text", "reply_markup")}
    for index, part in enumerate(parts):
        last = index == len(parts) - 1
        piece = {**base, "text": part}
        if last and markup is not None:
            piece["reply_markup"] = markup
        key = dedup_key if index == 0 or dedup_key is None else f"{dedup_key}#{index + 1}"
        queued = await enqueue(
            session,
            chat_id=chat_id,
            method="sendMessage",
            payload=piece,
            now=now,
            dedup_key=key,
            ref=ref if last else None,
            sealed=sealed,
        )
        if index == 0 and not queued:
            return False
    return True


def html_payload(
    text: str, *, reply_markup: dict[str, Any] | None = None, reply_to: int | None = None
) -> dict[str, Any]:
    """A sendMessage payload of HTML ``text``: with buttons, as a reply (``reply_to``, sent
    anyway if that message is gone)."""
    payload: dict[str, Any] = {"text": text, "parse_mode": "HTML"}
    if reply_markup is not None:
        payload["reply_markup"] = reply_markup
    if reply_to is not None:
        payload["reply_parameters"] = {"message_id": reply_to, "allow_sending_without_reply": True}
    return payload


async def enqueue_text(
    session: AsyncSession,
    *,
    chat_id: int,
    text: str,
    now: datetime,
    reply_markup: dict[str, Any] | None = None,
    reply_to: int | None = None,
    thread_id: int | None = None,
    dedup_key: str | None = None,
    ref: str | None = None,
) -> bool:
    """Queue an HTML message (see :func:`html_payload`), in a forum topic (``thread_id``)."""
    payload = html_payload(text, reply_markup=reply_markup, reply_to=reply_to)
    if thread_id is not None:
        payload["message_thread_id"] = thread_id
    return await enqueue(
        session,
        chat_id=chat_id,
        method="sendMessage",
        payload=payload,
        now=now,
        dedup_key=dedup_key,
        ref=ref,
    )


@dataclass(frozen=True)
class Outgoing:
    """One message of a mailing (see :func:`enqueue_many`)."""

    chat_id: int
    payload: dict[str, Any]
    method: str = "sendMessage"
    dedup_key: str | None = None


MAILING_CHUNK = 1000


async def enqueue_many(
    session: AsyncSession,
    messages: Sequence[Outgoing],
    *,
    now: datetime,
    ref: str | None = None,
    per_second: float | None = None,
    due_at: datetime | None = None,
) -> int:
    """Queue a mailing (a survey to thousands of residents) in a few statements.

    With ``per_second`` the first attempts are spread at that rate, so a big
    mailing trickles out below Telegram's limit and messages queued meanwhile
    (due now) are not stuck behind all of it. Dedup keys must be new.
    """
    rows = []
    for index, message in enumerate(messages):
        if message.method not in DELIVERABLE_METHODS:
            raise ValueError(f"{message.method} is not a method the outbox delivers")
        # ``due_at``: not before then (a notice held back by quiet hours).
        first = due_at if due_at is not None and due_at > now else now
        due = first + timedelta(seconds=index / per_second) if per_second else first
        rows.append(
            {
                "chat_id": message.chat_id,
                "method": message.method,
                "payload": {k: v for k, v in message.payload.items() if k != "chat_id"},
                "dedup_key": message.dedup_key,
                "ref": ref,
                "status": OutboxStatus.PENDING,
                "attempts": 0,
                "created_at": now,
                "next_attempt_at": due,
            }
        )
    if rows:
        outbox_queue.note_due(session)
    for start in range(0, len(rows), MAILING_CHUNK):
        await session.execute(insert(OutboxMessage), rows[start : start + MAILING_CHUNK])
    return len(rows)


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


async def drop_held(session: AsyncSession, *, ref: str, dedup_prefix: str) -> None:
    """Drop messages with ``ref`` still waiting to go out (held back till later) whose
    dedup key starts with ``dedup_prefix``: what they say is out of date."""
    await session.execute(
        delete(OutboxMessage).where(
            OutboxMessage.ref == ref,
            OutboxMessage.status == OutboxStatus.PENDING,
            OutboxMessage.dedup_key.startswith(dedup_prefix, autoescape=True),
            OutboxMessage.locked_by.is_(None),
        )
    )


async def enqueue_newest_edit(
    session: AsyncSession, *, ref: str, chat_id: int, payload: dict[str, Any], now: datetime
) -> None:
    """Queue an edit of the message ``ref`` names (``payload`` with its ``message_id``,
    or without: the message first sent with ``ref``), in place of any not sent yet."""
    await replace_pending_edit(session, ref)
    await enqueue(
        session, chat_id=chat_id, method="editMessageText", now=now, ref=ref, payload=payload
    )


async def rewrite_pending(session: AsyncSession, *, ref: str, method: str, **changes: Any) -> bool:
    """A queued ``method`` call under ``ref`` not yet taken by the sender goes with
    ``changes`` to its parameters (sealed again if it was). False when there is none to
    change: it was sent, or is being sent right now."""
    queued = await session.scalar(
        select(OutboxMessage)
        .where(
            OutboxMessage.ref == ref,
            OutboxMessage.method == method,
            OutboxMessage.status == OutboxStatus.PENDING,
            OutboxMessage.locked_by.is_(None),
        )
        .order_by(OutboxMessage.id)
        .limit(1)
    )
    if queued is None:
        return False
    parameters = outbox_queue.opened(queued.payload) | changes
    queued.payload = outbox_queue.stored_like(queued.payload, parameters)
    return True
