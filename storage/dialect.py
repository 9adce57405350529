"""The few places where SQLite and PostgreSQL need different SQL."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Table
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession


async def insert_ignoring_duplicates(
    session: AsyncSession,
    table: Table,
    rows: Sequence[dict[str, Any]],
    conflict_columns: Sequence[str],
) -> int:
    """INSERT rows, silently skipping those whose key already exists.

    Returns how many rows were actually inserted.
    """
    if not rows:
        return 0
    dialect = session.bind.dialect.name if session.bind else "sqlite"
    module = postgresql if dialect == "postgresql" else sqlite
    statement = module.insert(table).values(list(rows))
    statement = statement.on_conflict_do_nothing(index_elements=list(conflict_columns))
    result = await session.execute(statement)
    return max(result.rowcount or 0, 0)


def supports_skip_locked(session: AsyncSession) -> bool:
    return bool(session.bind) and session.bind.dialect.name == "postgresql"
