"""The few places where SQLite and PostgreSQL need different SQL."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from storage.db import rows_changed
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

    Returns how many rows were actually inserted.
    """
    if not rows:
        return 0
    module = postgresql if _dialect_name(session) == "postgresql" else sqlite
    statement = module.insert(table_of(model)).values(list(rows))
    statement = statement.on_conflict_do_nothing(index_elements=list(conflict_columns))
    return await rows_changed(session, statement)


def supports_skip_locked(session: AsyncSession) -> bool:
    return _dialect_name(session) == "postgresql"
