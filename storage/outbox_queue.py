"""Queries behind the outbox sender: claim what is due, record what happened; the wake of
the sender when a transaction that queued something commits; and the sealed payloads of
calls that may carry personal data."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Executable,
    bindparam,
    case,
    event,
    exists,
    func,
    or_,
    select,
    update,
)
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import Session, aliased

from storage.crypto import cipher
from storage.db import rows_changed, session_class_of
from storage.models import OutboxMessage, OutboxStatus
from storage.models.base import table_of

# A queued call that may carry personal data (a reply handed over from the inbox: a
# resident's /profile shows their phone number) is stored *sealed*: its parameters
# encrypted with the personal-data key (storage/crypto.py) under this one key, opened
# only to be sent; once sent, nothing of it is kept.
SEALED = "sealed"


def sealed(payload: dict[str, Any]) -> dict[str, Any]:
    """``payload`` encrypted, as it is stored."""
    plain = json.dumps(payload, ensure_ascii=False, separators=(",", ":"))
    return {SEALED: cipher().encrypt(plain)}


def is_sealed(payload: dict[str, Any]) -> bool:
    return isinstance(payload.get(SEALED), str)


def opened(payload: dict[str, Any]) -> dict[str, Any]:
    """The call's parameters, whether ``payload`` is sealed or not."""
    if not is_sealed(payload):
        return payload
    parameters: dict[str, Any] = json.loads(cipher().decrypt(payload[SEALED]))
    return parameters


def stored_like(original: dict[str, Any], payload: dict[str, Any]) -> dict[str, Any]:
    """A changed ``payload``, sealed if the ``original`` was."""
    return sealed(payload) if is_sealed(original) else payload


# In ``session.info``: this transaction made an outbox message due (:func:`note_due`).
_DUE = "outbox_due"


def note_due(session: AsyncSession) -> None:
    """Whatever queues an outbox message (or makes a held one due again) says so: once the
    transaction commits, the sender is woken (:func:`wake_after_commit`). Unsaid, the
    message waits for the sender's next look (``OUTBOX_POLL_INTERVAL``)."""
    session.info[_DUE] = True


def wake_after_commit(
    sessionmaker: async_sessionmaker[AsyncSession], wake: Callable[[], None]
) -> None:
    """Call ``wake`` after each commit, by a session of ``sessionmaker``, of a transaction
    that made an outbox message due; only then (waking the sender after every update cost
    an empty look at the outbox per few updates, or a NOTIFY on a standby instance)."""
    sessions = session_class_of(sessionmaker)

    @event.listens_for(sessions, "after_commit")
    def _committed(session: Session) -> None:
        if session.info.pop(_DUE, False):
            wake()

    @event.listens_for(sessions, "after_rollback")
    def _rolled_back(session: Session) -> None:
        session.info.pop(_DUE, None)


def _free(now: datetime) -> Any:
    return or_(OutboxMessage.locked_until.is_(None), OutboxMessage.locked_until < now)


async def claim_due(
    session: AsyncSession,
    sender_id: str,
    now: datetime,
    lease: timedelta,
    limit: int = 50,
    exclude_chats: Sequence[int] = (),
    bulk_ref_prefix: str | Sequence[str] | None = None,
) -> list[OutboxMessage]:
    """Claim due messages, only the oldest pending one per chat so a chat's order holds.

    ``exclude_chats`` are chats that cannot take a message yet (rate limits). Messages
    whose ``ref`` starts with ``bulk_ref_prefix`` (a mailing; or with one of several
    prefixes) come after all others due.
    """
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
                *([OutboxMessage.chat_id.not_in(list(exclude_chats))] if exclude_chats else []),
            )
            .order_by(*_bulk_last(bulk_ref_prefix), OutboxMessage.next_attempt_at, OutboxMessage.id)
            .limit(limit)
        )
    ).all()
    if not candidates:
        return []
    won = set(
        await session.scalars(
            _CLAIM,
            {
                "ids": [row.id for row in candidates],
                "pending": OutboxStatus.PENDING,
                "now": now,
                "sender": sender_id,
                "until": now + lease,
            },
        )
    )
    # Another sender (a leader deposed a moment ago) may hold some: theirs stay theirs.
    return [row for row in candidates if row.id in won]


# Built once on the table, with bound parameters: compiled once, no ORM unit of work (the
# sender claims and settles every message it sends). The candidates of a batch are
# claimed in one statement, which returns the ids it won.
_T = table_of(OutboxMessage)
_CLAIM = (
    update(_T)
    .where(
        _T.c.id.in_(bindparam("ids", expanding=True)),
        _T.c.status == bindparam("pending", type_=_T.c.status.type),
        or_(
            _T.c.locked_until.is_(None),
            _T.c.locked_until < bindparam("now", type_=_T.c.locked_until.type),
        ),
    )
    .values(
        locked_by=bindparam("sender", type_=_T.c.locked_by.type),
        locked_until=bindparam("until", type_=_T.c.locked_until.type),
    )
    .returning(_T.c.id)
)


def _bulk_last(prefix: str | Sequence[str] | None) -> list[ColumnElement[int]]:
    if not prefix:
        return []
    prefixes = [prefix] if isinstance(prefix, str) else list(prefix)
    bulk = or_(*(OutboxMessage.ref.startswith(p, autoescape=True) for p in prefixes))
    return [case((bulk, 1), else_=0)]


async def settle(session: AsyncSession, message_id: int, **values: Any) -> None:
    """Write the outcome of one delivery attempt and release the claim."""
    await session.execute(
        update(_T).where(_T.c.id == message_id).values(locked_by=None, locked_until=None, **values)
    )


async def release_all_locks(session: AsyncSession) -> None:
    await session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.status == OutboxStatus.PENDING, OutboxMessage.locked_by.is_not(None))
        .values(locked_by=None, locked_until=None)
    )


async def release_locks_of_others(session: AsyncSession, sender_id: str) -> int:
    """Free the claims of every sender but ``sender_id`` (a leader that vanished)."""
    return await rows_changed(
        session,
        update(OutboxMessage)
        .where(
            OutboxMessage.status == OutboxStatus.PENDING,
            OutboxMessage.locked_by.is_not(None),
            OutboxMessage.locked_by != sender_id,
        )
        .values(locked_by=None, locked_until=None)
        .execution_options(synchronize_session=False),
    )


async def list_messages(
    session: AsyncSession, status: OutboxStatus, limit: int = 20
) -> list[OutboxMessage]:
    """The newest messages in one state (dead letters, unreachable recipients...)."""
    query = (
        select(OutboxMessage)
        .where(OutboxMessage.status == status)
        .order_by(OutboxMessage.id.desc())
        .limit(limit)
    )
    return list((await session.scalars(query)).all())


async def count_by_status(session: AsyncSession) -> dict[OutboxStatus, int]:
    rows = await session.execute(
        select(OutboxMessage.status, func.count()).group_by(OutboxMessage.status)
    )
    return {OutboxStatus(status): count for status, count in rows}


async def requeue(session: AsyncSession, message_ids: Sequence[int], now: datetime) -> int:
    """Give dead (or inactive) messages another chance, from scratch."""
    return await _made_due(
        session,
        update(OutboxMessage)
        .where(
            OutboxMessage.id.in_(list(message_ids)),
            OutboxMessage.status.in_([OutboxStatus.DEAD, OutboxStatus.INACTIVE]),
        )
        .values(
            status=OutboxStatus.PENDING,
            attempts=0,
            next_attempt_at=now,
            locked_by=None,
            locked_until=None,
        )
        .execution_options(synchronize_session=False),
    )


async def requeue_held(session: AsyncSession, chat_id: int, since: datetime, now: datetime) -> int:
    """Messages refused because the recipient blocked the bot (queued since ``since``) go out
    again, in their original order (the sender goes by id)."""
    return await _made_due(
        session,
        update(OutboxMessage)
        .where(
            OutboxMessage.chat_id == chat_id,
            OutboxMessage.status == OutboxStatus.INACTIVE,
            OutboxMessage.created_at >= since,
        )
        .values(
            status=OutboxStatus.PENDING,
            next_attempt_at=now,
            locked_by=None,
            locked_until=None,
            last_error=None,
        )
        .execution_options(synchronize_session=False),
    )


async def _made_due(session: AsyncSession, statement: Executable) -> int:
    changed = await rows_changed(session, statement)
    if changed:
        note_due(session)
    return changed


async def count_held(session: AsyncSession, chat_id: int) -> int:
    """Messages to ``chat_id`` still parked because the recipient had blocked the bot."""
    return (
        await session.scalar(
            select(func.count()).where(
                OutboxMessage.chat_id == chat_id, OutboxMessage.status == OutboxStatus.INACTIVE
            )
        )
        or 0
    )
