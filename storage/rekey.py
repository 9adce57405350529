"""Personal data encrypted again with the newest key, so that older keys can be retired.

Rotating ``DATA_ENCRYPTION_KEY`` (newest first) makes new values use the new key, but
the values already stored keep the key they were written with. This pass rewrites
each of them with the newest key: phone numbers (and their look-up index, which is
derived from the newest key too) and the sealed payloads of stored updates and outbox
messages. Afterwards no stored value needs an older key.

It runs beside a live bot: a batch of rows is read and rewritten in one short
transaction, its rows locked meanwhile (PostgreSQL: ``FOR UPDATE``; SQLite: the write
lock), so a value the bot changes at that moment is never overwritten with an old copy.
A batch that loses a race with the bot (a deadlock, a locked file) is rolled back and
tried again when the caller says the error is worth it. A value that no configured key
opens is left as it is and counted.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Row, Select, Text, select, type_coerce, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import InstrumentedAttribute

from storage.crypto import cipher, normalise_phone
from storage.models import InboundUpdate, OutboxMessage, Person
from storage.models.base import Base
from storage.outbox_queue import SEALED, is_sealed

log = logging.getLogger(__name__)

BATCH = 500
ATTEMPTS = 5  # of one batch, when ``retryable`` says its error is worth another try
RETRY_PAUSE = 0.2  # seconds before the second attempt, doubled for each further one


@dataclass
class RekeyReport:
    phones: int = 0
    updates: int = 0
    outbox_messages: int = 0
    unreadable: int = 0  # values no configured key opens, left as they were
    retried: int = 0  # batches tried again after losing a race (a deadlock, a locked file)


@dataclass
class _Rewrite:
    """One batch's new values, by primary key, and how many of its values no key opens."""

    rows: list[dict[str, Any]] = field(default_factory=list)
    unreadable: int = 0


async def rekey(
    sessionmaker: async_sessionmaker[AsyncSession],
    batch: int = BATCH,
    *,
    retryable: Callable[[BaseException], bool] = lambda _error: False,
) -> RekeyReport:
    """Every stored value encrypted again with the newest key.

    ``retryable``: whether a batch that failed with this error is tried again (a new
    transaction that reads its rows afresh). Beside a live bot a batch can lose a race:
    PostgreSQL may end a deadlock by aborting the batch, SQLite may stay locked longer
    than its busy timeout. The composition root knows these errors; nothing is retried
    otherwise, and a batch that fails ``ATTEMPTS`` times raises. What a batch counts is
    added to the report only once it has committed."""
    report = RekeyReport()
    passes = _Passes(sessionmaker, batch, retryable, report)
    report.phones = await passes.run(Person, _phones(), _new_phones)
    for model, key in ((InboundUpdate, InboundUpdate.update_id), (OutboxMessage, OutboxMessage.id)):
        query = select(key, model.payload).order_by(key)
        written = await passes.run(model, query, _new_payloads(key))
        if model is InboundUpdate:
            report.updates = written
        else:
            report.outbox_messages = written
    return report


@dataclass
class _Passes:
    sessionmaker: async_sessionmaker[AsyncSession]
    size: int
    retryable: Callable[[BaseException], bool]
    report: RekeyReport

    async def run(
        self,
        model: type[Base],
        query: Select[Any, Any],
        rewrite: Callable[[Sequence[Row[Any, Any]]], _Rewrite],
    ) -> int:
        """Each batch of ``query`` (ordered by its first column, a key) rewritten in a
        transaction of its own, its rows locked meanwhile; returns how many rows were
        written."""
        key = query.selected_columns[0]
        last, written = None, 0
        while True:
            page = query if last is None else query.where(key > last)
            rows, result = await self._batch(
                model, page.limit(self.size).with_for_update(), rewrite
            )
            written += len(result.rows)
            self.report.unreadable += result.unreadable
            if len(rows) < self.size:
                return written
            last = rows[-1][0]

    async def _batch(
        self,
        model: type[Base],
        page: Select[Any, Any],
        rewrite: Callable[[Sequence[Row[Any, Any]]], _Rewrite],
    ) -> tuple[Sequence[Row[Any, Any]], _Rewrite]:
        for attempt in range(1, ATTEMPTS + 1):
            try:
                async with self.sessionmaker() as session, session.begin():
                    rows = (await session.execute(page)).all()
                    result = rewrite(rows)
                    await _write(session, model, result.rows)
                return rows, result
            except Exception as error:
                if attempt == ATTEMPTS or not self.retryable(error):
                    raise
                origin = getattr(error, "orig", None) or error  # not the statement's values
                log.warning(
                    "rekey: a batch of %s failed (%s: %s); trying it again",
                    model.__tablename__,
                    type(origin).__name__,
                    str(origin).partition("\n")[0][:200],
                )
                self.report.retried += 1
                await asyncio.sleep(RETRY_PAUSE * 2 ** (attempt - 1))
        raise AssertionError("unreachable")


def _new_phones(rows: Sequence[Row[Any, Any]]) -> _Rewrite:
    result = _Rewrite()
    for person_id, token in rows:
        try:
            phone = cipher().decrypt(token)
        except ValueError:
            result.unreadable += 1
            continue
        index = cipher().blind_index(normalise_phone(phone))
        result.rows.append({"id": person_id, "phone": phone, "phone_index": index})
    return result


def _new_payloads(key: InstrumentedAttribute[Any]) -> Callable[[Sequence[Row[Any, Any]]], _Rewrite]:
    def rewrite(rows: Sequence[Row[Any, Any]]) -> _Rewrite:
        result = _Rewrite()
        for row_id, payload in rows:
            try:
                rotated = _rotated(payload)
            except ValueError:
                result.unreadable += 1
                continue
            if rotated is not None:
                result.rows.append({key.key: row_id, "payload": rotated})
        return result

    return rewrite


async def _write(session: AsyncSession, model: type[Base], rows: list[dict[str, Any]]) -> None:
    """The batch's new values, by primary key, in one statement run for every row (the
    column types encrypt a phone number with the newest key)."""
    if rows:
        await session.execute(update(model), rows)


def _phones() -> Select[Any, Any]:
    # The stored token as it is (not decrypted by the column's type): one no key opens
    # must not stop the pass.
    token = type_coerce(Person.phone, Text)
    return select(Person.id, token).where(Person.phone.is_not(None)).order_by(Person.id)


def _rotated(payload: Any) -> dict[str, Any] | None:
    """``payload`` with every sealed part (the whole of it, or one of its values)
    encrypted with the newest key; None when nothing in it is sealed."""
    if not isinstance(payload, dict):
        return None
    if is_sealed(payload):
        return {**payload, SEALED: cipher().rotate(payload[SEALED])}
    parts = dict(_sealed_values(payload))
    if not parts:
        return None
    return {
        **payload,
        **{name: {SEALED: cipher().rotate(part[SEALED])} for name, part in parts.items()},
    }


def _sealed_values(payload: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    for name, value in payload.items():
        if isinstance(value, dict) and is_sealed(value):
            yield name, value
