"""The few places where SQLite and PostgreSQL need different SQL."""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from typing import Any

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.dml import ReturningInsert

from storage.models.base import Base, table_of


def _dialect_name(session: AsyncSession) -> str | None:
    return session.bind.dialect.name if session.bind is not None else None


async def insert_ignoring_duplicates(
    session: AsyncSession,
    model: type[Base],
    rows: Sequence[dict[str, Any]],
    conflict_columns: Sequence[str],
) -> int:
    """INSERT rows, silently skipping those whose key already exists.

    Returns how many rows were actually inserted. The rows go as parameters of one
    statement, which SQLAlchemy sends as a single multi-row INSERT ("insertmanyvalues"):
    rows put into the statement itself (``values(rows)``) gave it no cache key, and it was
    compiled again on every call (the inbox stores each ``getUpdates`` answer with it).
    All rows must have the same keys.
    """
    if not rows:
        return 0
    statement = _insert_ignoring(_dialect_name(session) or "", model, tuple(conflict_columns))
    # Only the rows inserted come back (ON CONFLICT DO NOTHING returns none for the others).
    return len((await session.execute(statement, list(rows))).all())


@lru_cache(maxsize=64)
def _insert_ignoring(
    dialect: str, model: type[Base], conflict_columns: tuple[str, ...]
) -> ReturningInsert[Any]:
    module = postgresql if dialect == "postgresql" else sqlite
    table = table_of(model)
    return (
        module.insert(table)
        .on_conflict_do_nothing(index_elements=list(conflict_columns))
        .returning(*table.primary_key.columns)
    )


def supports_skip_locked(session: AsyncSession) -> bool:
    return _dialect_name(session) == "postgresql"
