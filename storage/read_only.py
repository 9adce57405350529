"""A read-only session for long reports (``/stats``, ``/export``), outside any update.

A report over a million tickets reads for most of a second; it must not hold a write
lock meanwhile, nor sit inside an update's transaction. :func:`read_only_session` opens
its own session from the sessionmaker:

- PostgreSQL: a ``REPEATABLE READ, READ ONLY`` transaction (one snapshot for the whole
  report; the server refuses any write);
- SQLite: a *deferred* ``BEGIN`` — a WAL reader that never blocks a writer nor waits
  for one — even where the engine starts every other transaction ``BEGIN IMMEDIATE``.

:func:`read_only_sessions` opens several, to read a report's parts side by side (the
machine's other core reads too: SQLite's engine releases the GIL, PostgreSQL's runs in
the server). On PostgreSQL they share one exported snapshot, so the parts add up to the
row; on SQLite each reader's snapshot is taken at its first read, one right after the
other, so only a write committed in that instant can show in one part and not another.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
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
    async with read_only_sessions(sessionmaker, 1) as (session,):
        yield session


@asynccontextmanager
async def read_only_sessions(
    sessionmaker: async_sessionmaker[AsyncSession], count: int
) -> AsyncIterator[tuple[AsyncSession, ...]]:
    """``count`` sessions in read-only transactions over the same data (see the module's
    note for SQLite), rolled back at the end."""
    async with AsyncExitStack() as stack:
        sessions = [await stack.enter_async_context(sessionmaker()) for _ in range(max(count, 1))]
        snapshot: str | None = None
        for session in sessions:
            stack.push_async_callback(session.rollback)
            snapshot = await _begin_reading(session, snapshot, shared=len(sessions) > 1)
        yield tuple(sessions)


_SNAPSHOT_ID = re.compile(r"[0-9A-Fa-f-]+")


async def _begin_reading(
    session: AsyncSession, snapshot: str | None, *, shared: bool
) -> str | None:
    """Begin ``session``'s read-only transaction; on PostgreSQL, in ``snapshot`` when one
    is given. ``shared``: other sessions are to read the same data. Returns the snapshot
    they are to share (PostgreSQL: exported by the first session)."""
    bind = session.bind
    if isinstance(bind, AsyncEngine) and bind.dialect.name == "sqlite":
        _allow_deferred_reads(bind.sync_engine)
        await session.connection(execution_options={READ_ONLY: True})
        if shared:  # a WAL reader's snapshot is taken at its first read: now
            await session.execute(text("SELECT 1 FROM sqlite_master LIMIT 1"))
        return None
    await session.connection(execution_options={READ_ONLY: True})
    await session.execute(text("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY"))
    if snapshot is None:
        if not shared:
            return None
        return str(await session.scalar(text("SELECT pg_export_snapshot()")))
    if not _SNAPSHOT_ID.fullmatch(snapshot):  # SET takes no parameters: checked, then inlined
        raise ValueError(f"not a snapshot id: {snapshot!r}")
    connection = await session.connection()  # as it is: a new id each time, nothing to cache
    await connection.exec_driver_sql(f"SET TRANSACTION SNAPSHOT '{snapshot}'")
    return snapshot
