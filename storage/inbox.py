"""The inbox of Telegram updates: store first, confirm to Telegram after, handle once.

An update is committed here before the poller asks Telegram for the next batch
(which is what confirms the previous one), so a crash can never lose it. The
worker claims rows with a conditional update and a lease, handles each in one
transaction that also marks it done, and a re-delivered ``update_id`` is
ignored by the primary key.

Personal data is kept no longer than handling needs: text enters cleaned of the
control characters Telegram and PostgreSQL cannot carry (:func:`clean_update`), and
once an update is handled (done, or parked as failed) its stored payload is reduced
to its ids (:func:`reduced_payload`): the primary key is all that re-delivery
detection needs. An update claimed but not finished keeps its whole payload, so it is
handled again after a crash. While it is kept, the payload is *sealed* (encrypted with
the personal-data key, as the outbox seals what it keeps: ``outbox_queue.sealed``): a
shared contact's phone number, or one typed in a message, never lies in the database
or its write-ahead log in clear. So are the replies an update owes between its commit
and their sending (:func:`mark_done`, :func:`owed_calls`).
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, bindparam, delete, or_, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.db import rows_changed
from storage.dialect import insert_ignoring_duplicates
from storage.models import InboundStatus, InboundUpdate
from storage.models.base import table_of
from storage.outbox_queue import opened, sealed

# Where the chat of an update is, for each update type that has one.
_CHAT_PATHS: tuple[tuple[str, ...], ...] = (
    ("message", "chat", "id"),
    ("edited_message", "chat", "id"),
    ("channel_post", "chat", "id"),
    ("callback_query", "message", "chat", "id"),
    ("callback_query", "from", "id"),
    ("my_chat_member", "chat", "id"),
    ("chat_member", "chat", "id"),
    ("chat_join_request", "chat", "id"),
    ("inline_query", "from", "id"),
    ("pre_checkout_query", "from", "id"),
    ("poll_answer", "user", "id"),
)


def chat_key_of(update: dict[str, Any]) -> str:
    """The key that orders updates: those with the same key are handled one by one."""
    for path in _CHAT_PATHS:
        node: Any = update
        for part in path:
            node = node.get(part) if isinstance(node, dict) else None
        if node is not None:
            return f"chat:{node}"
    return "other"


# C0 control characters other than tab and newline (PostgreSQL cannot store NUL in
# text, Telegram refuses most of them in messages), and lone UTF-16 surrogates (which
# no UTF-8 database or Bot API call takes).
_UNCARRIABLE = re.compile("[\x00-\x08\x0b-\x1f]|[\ud800-\udfff]")
_REPLACEMENT = "\ufffd"
# Texts whose formatting entities count UTF-16 offsets into them.
_TEXTS_WITH_ENTITIES = (("text", "entities"), ("caption", "caption_entities"))


def clean_update(value: Any) -> Any:
    """The update with every string cleaned of characters no database and no Bot API call
    can carry: control characters are dropped (entity offsets follow), a lone surrogate
    becomes U+FFFD. The same input then works the same on SQLite and PostgreSQL."""
    if isinstance(value, str):
        return _clean_text(value)[0]
    if isinstance(value, list):
        return [clean_update(item) for item in value]
    if not isinstance(value, dict):
        return value
    cleaned = {key: clean_update(item) for key, item in value.items()}
    for text_key, entities_key in _TEXTS_WITH_ENTITIES:
        text, entities = value.get(text_key), cleaned.get(entities_key)
        if isinstance(text, str) and isinstance(entities, list) and _UNCARRIABLE.search(text):
            shift = _clean_text(text)[1]
            cleaned[entities_key] = [_shifted(entity, shift) for entity in entities]
    return cleaned


def _clean_text(text: str) -> tuple[str, list[int]]:
    """The cleaned text, and for each UTF-16 position of ``text`` (and its end) how many
    units were dropped before it."""
    if not _UNCARRIABLE.search(text):
        return text, []
    kept: list[str] = []
    dropped_before: list[int] = []
    dropped = 0
    for char in text:
        code = ord(char)
        dropped_before.extend([dropped] * (2 if code > 0xFFFF else 1))
        if code < 0x20 and char not in "\t\n":
            dropped += 1
        else:
            kept.append(_REPLACEMENT if 0xD800 <= code <= 0xDFFF else char)
    dropped_before.append(dropped)
    return "".join(kept), dropped_before


def _shifted(entity: Any, dropped_before: list[int]) -> Any:
    if not dropped_before or not isinstance(entity, dict):
        return entity
    last = len(dropped_before) - 1
    start = min(int(entity.get("offset", 0)), last)
    end = min(start + int(entity.get("length", 0)), last)
    offset = start - dropped_before[start]
    return {**entity, "offset": offset, "length": end - dropped_before[end] - offset}


# A replying row's payload: its id, and under this key the calls it owes, sealed.
_OWED = "owed"
_CALLS = "calls"


def reduced_payload(update_id: int) -> dict[str, Any]:
    """What is kept of a handled update: its id, nothing anyone wrote."""
    return {"update_id": update_id}


async def store_updates(
    session: AsyncSession, updates: Iterable[dict[str, Any]], now: datetime
) -> int:
    """Insert new updates (cleaned, see :func:`clean_update`, and sealed); ones already
    stored (re-delivered) are skipped."""
    rows = [
        {
            "update_id": u["update_id"],
            "payload": sealed(clean_update(u)),
            "chat_key": chat_key_of(u),
            "status": InboundStatus.PENDING.value,
            "attempts": 0,
            "received_at": now,
            "available_at": now,
        }
        for u in updates
    ]
    return await insert_ignoring_duplicates(
        session, InboundUpdate, rows, conflict_columns=["update_id"]
    )


# PostgreSQL: the fleet's inbox claims take turns on this transaction-level advisory lock.
INBOX_CLAIM_LOCK = 0x7265_7369_6E62_7801  # "resinbx" and 1


@dataclass(frozen=True, slots=True)
class ClaimedUpdate:
    """An update claimed for handling: what the worker needs of its row."""

    update_id: int
    chat_key: str
    payload: dict[str, Any]
    attempts: int


# The statements of every update's bookkeeping are built once, on the table (no ORM unit
# of work, no identity map), with bound parameters: SQLAlchemy then compiles each once
# and finds it in its cache by a key computed once too. About a third of the CPU of
# building, compiling and running an ORM statement per call (bench/load.py).
_T = table_of(InboundUpdate)


def _param(name: str, column: Any) -> Any:
    return bindparam(name, type_=column.type)


_NOW = _param("now", _T.c.available_at)
_PENDING = _param("pending", _T.c.status)


def _claimable_now() -> Any:
    return and_(
        _T.c.status == _PENDING,
        _T.c.available_at <= _NOW,
        or_(_T.c.locked_until.is_(None), _T.c.locked_until < _NOW),
    )


_ADVISORY_LOCK = text("SELECT pg_advisory_xact_lock(:key)")

_CLAIM = (
    update(_T)
    .where(
        _T.c.update_id.in_(
            select(_T.c.update_id)
            .where(
                _claimable_now(),
                _T.c.chat_key.not_in(
                    # A chat with an earlier update pending but not claimable, or whose
                    # replies another worker is still sending, waits whole.
                    select(_T.c.chat_key)
                    .where(
                        or_(
                            and_(_T.c.status == _PENDING, ~_claimable_now()),
                            and_(
                                _T.c.status == _param("replying", _T.c.status),
                                _T.c.locked_by != _param("worker", _T.c.locked_by),
                                _T.c.locked_until >= _NOW,
                            ),
                        )
                    )
                    .scalar_subquery()
                ),
            )
            .order_by(_T.c.update_id)
            .limit(bindparam("limit"))
            .scalar_subquery()
        ),
        _claimable_now(),
    )
    .values(
        locked_by=_param("worker", _T.c.locked_by),
        locked_until=_param("until", _T.c.locked_until),
    )
    .returning(_T.c.update_id, _T.c.chat_key, _T.c.payload, _T.c.attempts)
)


async def claim_batch(
    session: AsyncSession, worker_id: str, now: datetime, lease: timedelta, limit: int = 100
) -> list[ClaimedUpdate]:
    """Claim the oldest claimable updates, in one statement (oldest first).

    A chat whose earlier update is still pending but not claimable (backing
    off, or held by another worker), or whose replies another worker is still sending
    (*replying* under its lease), is skipped entirely, so one chat's updates are never
    handled, nor answered, out of order. (This worker's own chats in hand are chained in
    order by the worker itself.) The claim is a conditional UPDATE: a row another worker
    claimed meanwhile no longer matches, so no update is claimed twice. On PostgreSQL the
    fleet's claims take turns (a transaction-level advisory lock): a claim running
    alongside another could otherwise see a chat's first update as still free, lose it to
    the other claim, and take the second.
    """
    if session.get_bind().dialect.name == "postgresql":
        await session.execute(_ADVISORY_LOCK, {"key": INBOX_CLAIM_LOCK})
    rows = await session.execute(
        _CLAIM,
        {
            "pending": InboundStatus.PENDING,
            "replying": InboundStatus.REPLYING,
            "worker": worker_id,
            "now": now,
            "until": now + lease,
            "limit": limit,
        },
    )
    claimed = (
        ClaimedUpdate(update_id, chat_key, opened(payload), attempts)
        for update_id, chat_key, payload, attempts in rows
    )
    return sorted(claimed, key=lambda row: row.update_id)


async def is_pending(session: AsyncSession, update_id: int) -> bool:
    status = await session.scalar(
        select(InboundUpdate.status).where(InboundUpdate.update_id == update_id)
    )
    return status is InboundStatus.PENDING


_MARK_DONE = (
    update(_T)
    .where(_T.c.update_id == bindparam("id"), _T.c.status == _PENDING)
    .values(
        status=_param("new_status", _T.c.status),
        processed_at=_param("new_processed_at", _T.c.processed_at),
        locked_by=_param("new_locked_by", _T.c.locked_by),
        locked_until=_param("new_locked_until", _T.c.locked_until),
        payload=_param("new_payload", _T.c.payload),
    )
)


async def mark_done(
    session: AsyncSession,
    update_id: int,
    now: datetime,
    *,
    calls: list[dict[str, Any]] | None = None,
    owner: str | None = None,
    lease: timedelta = timedelta(minutes=2),
) -> bool:
    """Mark handled, inside the handler's transaction. False if someone else already did.

    The stored payload is reduced to its id in the same commit; with ``calls`` (the Bot
    API calls the update made, to be sent after the commit) the row is *replying*: it
    keeps them, sealed, under a lease held by ``owner``, until :func:`replies_sent`.
    """
    values: dict[str, Any] = {
        "id": update_id,
        "pending": InboundStatus.PENDING,
        "new_status": InboundStatus.DONE,
        "new_processed_at": now,
        "new_locked_by": None,
        "new_locked_until": None,
        "new_payload": reduced_payload(update_id),
    }
    if calls:
        values.update(
            new_status=InboundStatus.REPLYING,
            new_locked_by=owner or "worker",
            new_locked_until=now + lease,
            new_payload={**reduced_payload(update_id), _OWED: sealed({_CALLS: calls})},
        )
    return await rows_changed(session, _MARK_DONE, values) == 1


def owed_calls(payload: dict[str, Any]) -> list[dict[str, Any]]:
    """The calls a *replying* row keeps (see :func:`mark_done`), opened."""
    owed = payload.get(_OWED)
    if owed is None:
        return []
    if isinstance(owed, list):  # kept by a version that did not seal them
        return owed
    calls: list[dict[str, Any]] = opened(owed)[_CALLS]
    return calls


async def replies_sent(session: AsyncSession, update_ids: list[int]) -> None:
    """The calls kept with these updates are sent (or handed to the outbox): done.
    One statement for them all (executemany), on the table: no ORM bookkeeping."""
    if not update_ids:
        return
    table = table_of(InboundUpdate)
    statement = (
        update(table)
        .where(
            table.c.update_id == bindparam("sent_id"),
            table.c.status == InboundStatus.REPLYING,
        )
        .values(
            status=InboundStatus.DONE,
            locked_by=None,
            locked_until=None,
            payload=bindparam("reduced_payload"),
        )
    )
    await session.execute(
        statement,
        [{"sent_id": i, "reduced_payload": reduced_payload(i)} for i in update_ids],
    )


async def owed_replies_due(
    session: AsyncSession, now: datetime, limit: int = 100, exclude: Collection[int] = ()
) -> list[InboundUpdate]:
    """Replying updates whose sender's lease ran out (it died after the commit), but for
    those in ``exclude`` (the caller is still delivering them)."""
    rows = await session.scalars(
        select(InboundUpdate)
        .where(
            InboundUpdate.status == InboundStatus.REPLYING,
            or_(InboundUpdate.locked_until.is_(None), InboundUpdate.locked_until < now),
            InboundUpdate.update_id.not_in(list(exclude)),
        )
        .order_by(InboundUpdate.update_id)
        .limit(limit)
    )
    return list(rows.all())


async def record_failure(
    session: AsyncSession,
    update_id: int,
    error: str,
    now: datetime,
    retry_at: datetime,
    max_attempts: int,
) -> InboundStatus:
    """Count a failed attempt; after ``max_attempts`` the update is parked as failed."""
    row = await session.get(InboundUpdate, update_id)
    if row is None or row.status is not InboundStatus.PENDING:
        return row.status if row else InboundStatus.FAILED
    row.attempts += 1
    row.last_error = error[:2000]
    row.locked_by = None
    row.locked_until = None
    if row.attempts >= max_attempts:
        row.status = InboundStatus.FAILED
        row.processed_at = now
        row.payload = reduced_payload(update_id)
    else:
        row.available_at = retry_at
    await session.flush()
    return row.status


async def release_all_locks(session: AsyncSession) -> int:
    """Single-instance start (SQLite): leases left by a crashed process are void (replies
    it owed become due at once)."""
    await session.execute(
        update(InboundUpdate)
        .where(InboundUpdate.status == InboundStatus.REPLYING)
        .values(locked_until=None)
    )
    return await rows_changed(
        session,
        update(InboundUpdate)
        .where(InboundUpdate.status == InboundStatus.PENDING, InboundUpdate.locked_by.is_not(None))
        .values(locked_by=None, locked_until=None),
    )


# Telegram keeps an unconfirmed update for 24 h: after this, no duplicate can arrive.
HANDLED_UPDATES_KEPT_FOR = timedelta(days=2)


async def purge_handled(session: AsyncSession, older_than: datetime) -> int:
    """Forget handled updates Telegram can no longer re-deliver (it keeps them 24 h)."""
    return await rows_changed(
        session,
        delete(InboundUpdate).where(
            InboundUpdate.status == InboundStatus.DONE, InboundUpdate.processed_at < older_than
        ),
    )


async def purge_failed(session: AsyncSession, older_than: datetime) -> int:
    """Forget updates parked as failed (their sender had an apology) after the same time."""
    return await rows_changed(
        session,
        delete(InboundUpdate).where(
            InboundUpdate.status == InboundStatus.FAILED, InboundUpdate.processed_at < older_than
        ),
    )


async def release(session: AsyncSession, update_ids: list[int]) -> None:
    """Give back claimed-but-unhandled updates so they are picked up again in order."""
    await session.execute(
        update(InboundUpdate)
        .where(
            InboundUpdate.update_id.in_(update_ids), InboundUpdate.status == InboundStatus.PENDING
        )
        .values(locked_by=None, locked_until=None)
    )
