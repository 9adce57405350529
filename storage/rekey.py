"""Personal data encrypted again with the newest key, so that older keys can be retired.

Rotating ``DATA_ENCRYPTION_KEY`` (newest first) makes new values use the new key, but
the values already stored keep the key they were written with. This pass rewrites
each of them with the newest key: phone numbers (and their look-up index, which is
derived from the newest key too) and the sealed payloads of stored updates and outbox
messages. Afterwards no stored value needs an older key.

It runs beside a live bot: a batch of rows is read and rewritten in one short
transaction, its rows locked meanwhile (PostgreSQL: ``FOR UPDATE``; SQLite: the write
lock), so a value the bot changes at that moment is never overwritten with an old copy.
A value that no configured key opens is left as it is and counted.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Row, Select, Text, select, type_coerce, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from storage.crypto import cipher, normalise_phone
from storage.models import InboundUpdate, OutboxMessage, Person
from storage.models.base import Base
from storage.outbox_queue import SEALED, is_sealed

BATCH = 500


@dataclass
class RekeyReport:
    phones: int = 0
    updates: int = 0
    outbox_messages: int = 0
    unreadable: int = 0  # values no configured key opens, left as they were


async def rekey(sessionmaker: async_sessionmaker[AsyncSession], batch: int = BATCH) -> RekeyReport:
    report = RekeyReport()
    async for session, rows in _batches(sessionmaker, _phones(), batch):
        people = []
        for person_id, token in rows:
            try:
                phone = cipher().decrypt(token)
            except ValueError:
                report.unreadable += 1
                continue
            index = cipher().blind_index(normalise_phone(phone))
            people.append({"id": person_id, "phone": phone, "phone_index": index})
        await _write(session, Person, people)
        report.phones += len(people)
    for model, key in ((InboundUpdate, InboundUpdate.update_id), (OutboxMessage, OutboxMessage.id)):
        query = select(key, model.payload).order_by(key)
        async for session, rows in _batches(sessionmaker, query, batch):
            changed = []
            for row_id, payload in rows:
                try:
                    rotated = _rotated(payload)
                except ValueError:
                    report.unreadable += 1
                    continue
                if rotated is not None:
                    changed.append({key.key: row_id, "payload": rotated})
            await _write(session, model, changed)
            if model is InboundUpdate:
                report.updates += len(changed)
            else:
                report.outbox_messages += len(changed)
    return report


async def _write(session: AsyncSession, model: type[Base], rows: list[dict[str, Any]]) -> None:
    """The batch's new values, by primary key, in one statement run for every row (the
    column types encrypt a phone number with the newest key)."""
    if rows:
        await session.execute(update(model), rows)


def _phones() -> Select[int, str]:
    # The stored token as it is (not decrypted by the column's type): one no key opens
    # must not stop the pass.
    token = type_coerce(Person.phone, Text)
    return select(Person.id, token).where(Person.phone.is_not(None)).order_by(Person.id)


async def _batches(
    sessionmaker: async_sessionmaker[AsyncSession], query: Select[Any, Any], size: int
) -> AsyncIterator[tuple[AsyncSession, Sequence[Row[Any, Any]]]]:
    """``(session, rows)`` for each batch of ``query`` (ordered by its first column, a key),
    inside a transaction of its own that commits once the caller is done with the batch."""
    key = query.selected_columns[0]
    last = None
    while True:
        async with sessionmaker() as session, session.begin():
            page = query if last is None else query.where(key > last)
            rows = (await session.execute(page.limit(size).with_for_update())).all()
            if not rows:
                return
            yield session, rows
        last = rows[-1][0]
        if len(rows) < size:
            return


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
