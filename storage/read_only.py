"""A read-only session for long reports (``/stats``, ``/export``), outside any update.

A report over a million tickets reads for most of a second; it must not hold a write
lock meanwhile, nor sit inside an update's transaction. :func:`read_only_session` opens
its own session from the sessionmaker:

- PostgreSQL: ``SET TRANSACTION READ ONLY`` (the server refuses any write);
- SQLite: a *deferred* ``BEGIN`` — a WAL reader that never blocks a writer nor waits
  for one — even where the engine starts every other transaction ``BEGIN IMMEDIATE``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from sqlalchemy import event, text
from sqlalchemy.engine import Engine
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

READ_ONLY = "rsb_read_only"  # the connection's execution option


def _deferred_begin(
    conn: Any, _cursor: Any, statement: str, parameters: Any, _context: Any, _many: bool
) -> tuple[str, Any]:
    if statement == "BEGIN IMMEDIATE" and conn.get_execution_options().get(READ_ONLY):
        return "BEGIN", parameters
    return statement, parameters


def _allow_deferred_reads(engine: Engine) -> None:
    if not event.contains(engine, "before_cursor_execute", _deferred_begin):
        event.listen(engine, "before_cursor_execute", _deferred_begin, retval=True)


@asynccontextmanager
async def read_only_session(
    sessionmaker: async_sessionmaker[AsyncSession],
) -> AsyncIterator[AsyncSession]:
    """A session in a read-only transaction, rolled back at the end."""
    async with sessionmaker() as session:
        bind = session.bind
        sqlite = isinstance(bind, AsyncEngine) and bind.dialect.name == "sqlite"
        if sqlite and isinstance(bind, AsyncEngine):
            _allow_deferred_reads(bind.sync_engine)
        await session.connection(execution_options={READ_ONLY: True})
        if not sqlite:
            await session.execute(text("SET TRANSACTION READ ONLY"))
        try:
            yield session
        finally:
            await session.rollback()
