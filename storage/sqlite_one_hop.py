"""SQLite through aiosqlite, with one trip to the connection's thread per statement.

aiosqlite runs every ``sqlite3`` call on the connection's own thread. SQLAlchemy's
adapter makes four such calls for each statement: open a cursor, execute, fetch the
rows, close the cursor. Each call is a hand-over between threads (a future, a queue, a
wake-up of the event loop), and four of them cost the bot far more CPU than SQLite
spends running a small statement. The cursor here does all four in one call on the
connection's thread and keeps the rows, which the adapter fetches at once anyway. The
connection skips the pool's rollback when no transaction is open, and says when a commit
is over (the write turns wait for that). A transaction's ``BEGIN`` (``storage/db.py``
hands it over) runs just before its first statement, in that statement's trip, not in a
trip of its own: one trip fewer for every transaction, 0.1–0.2 ms of CPU
(``bench/sqlite_begin_bench.py``); a transaction that runs no statement sends neither
``BEGIN`` nor ``COMMIT``. Everything else (the thread and its queue, commit, rollback,
close) is aiosqlite's.

:func:`install` makes an engine connect this way. It relies on two internals of
aiosqlite's ``Connection`` that have not changed in years (``_execute``, which queues a
call for the thread, and ``_conn``); where they are missing the engine keeps
aiosqlite's own cursors, which work the same, only slower.
"""

from __future__ import annotations

import sqlite3
from collections import deque
from collections.abc import Callable, Generator, Iterable, Sequence
from pathlib import Path
from typing import Any

import aiosqlite
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine

SUPPORTED = all(hasattr(aiosqlite.Connection, name) for name in ("_execute", "_conn"))

# What one statement left: its description, row count, last row id and rows.
_Outcome = tuple[Any, int, int | None, list[Any]]


def _execute(
    connection: sqlite3.Connection, sql: str, parameters: Any, begin: str | None
) -> _Outcome:
    """Runs on the connection's thread: the transaction's ``BEGIN`` if it is its first
    statement, then the whole statement, rows and all."""
    if begin is not None:
        connection.execute(begin)
    cursor = connection.cursor()
    try:
        if parameters is None:
            cursor.execute(sql)
        else:
            cursor.execute(sql, parameters)
        rows = cursor.fetchall() if cursor.description is not None else []
        return cursor.description, cursor.rowcount, cursor.lastrowid, rows
    finally:
        cursor.close()


def _executemany(
    connection: sqlite3.Connection, sql: str, rows: Iterable[Any], begin: str | None
) -> _Outcome:
    if begin is not None:
        connection.execute(begin)
    cursor = connection.cursor()
    try:
        cursor.executemany(sql, rows)
        return cursor.description, cursor.rowcount, cursor.lastrowid, []
    finally:
        cursor.close()


class OneHopCursor:
    """aiosqlite's cursor as SQLAlchemy uses it, each statement one call on the thread."""

    arraysize = 1

    def __init__(self, connection: OneHopConnection) -> None:
        self._connection = connection
        self._rows: deque[Any] = deque()
        self.description: Any = None
        self.rowcount = -1
        self.lastrowid: int | None = None

    # ``connection.cursor()`` is awaited, or entered, by whoever opens it.
    def __await__(self) -> Generator[Any, None, OneHopCursor]:
        return self.__aenter__().__await__()

    async def __aenter__(self) -> OneHopCursor:
        return self

    async def __aexit__(self, *_exc: object) -> None:
        await self.close()

    async def execute(self, sql: str, parameters: Any = None) -> OneHopCursor:
        connection = self._connection
        begin = connection.take_begin()
        self._keep(await connection._execute(_execute, connection._conn, sql, parameters, begin))
        return self

    async def executemany(self, sql: str, rows: Iterable[Any]) -> OneHopCursor:
        connection = self._connection
        begin = connection.take_begin()
        self._keep(await connection._execute(_executemany, connection._conn, sql, rows, begin))
        return self

    def _keep(self, outcome: _Outcome) -> None:
        self.description, self.rowcount, self.lastrowid, rows = outcome
        self._rows = deque(rows)

    async def fetchone(self) -> Any:
        return self._rows.popleft() if self._rows else None

    async def fetchmany(self, size: int | None = None) -> list[Any]:
        rows = self._rows
        return [rows.popleft() for _ in range(min(size or self.arraysize, len(rows)))]

    async def fetchall(self) -> Sequence[Any]:
        rows, self._rows = list(self._rows), deque()
        return rows

    async def close(self) -> None:
        self._rows = deque()


class OneHopConnection(aiosqlite.Connection):
    """aiosqlite's connection, handing out :class:`OneHopCursor` s."""

    # Called once the next commit is over, done or failed (``storage/write_turns.py``
    # passes the write turn on then).
    after_commit: Callable[[], None] | None = None
    # The ``BEGIN`` of a transaction no statement has run in yet: it goes to the thread
    # with the first one, in the same trip (:meth:`begin_with_next`).
    _begin: str | None = None

    def begin_with_next(self, begin: str) -> None:
        """Begin a transaction with ``begin`` (``BEGIN``, ``BEGIN IMMEDIATE``) just before
        the next statement, on the thread in the same trip; a transaction that runs no
        statement never reaches SQLite."""
        self._begin = begin

    def take_begin(self) -> str | None:
        begin, self._begin = self._begin, None
        return begin

    def cursor(self) -> OneHopCursor:  # type: ignore[override]
        return OneHopCursor(self)

    async def commit(self) -> None:
        try:
            if self.take_begin() is None:  # else nothing ran: nothing to commit
                await super().commit()
        finally:
            done, self.after_commit = self.after_commit, None
            if done is not None:
                done()

    async def rollback(self) -> None:
        # The pool rolls back every connection given back to it, committed or not. With
        # no transaction open there is nothing to undo: no trip to the thread. (Nothing
        # else is queued for it meanwhile: each call is awaited before the next.)
        self.take_begin()
        raw = self._connection
        if raw is not None and not raw.in_transaction:
            return
        await super().rollback()


def connect(database: str | bytes | Path, *, iter_chunk_size: int = 64, **kwargs: Any) -> Any:
    """What ``aiosqlite.connect`` does, with :class:`OneHopConnection`."""
    location = database.decode() if isinstance(database, bytes) else str(database)

    def connector() -> sqlite3.Connection:
        return sqlite3.connect(location, **kwargs)

    connection = OneHopConnection(connector, iter_chunk_size)
    # As SQLAlchemy does for the connections it opens: the thread never holds up exit.
    thread: Any = getattr(connection, "_thread", connection)  # a Thread itself before 0.22
    thread.daemon = True
    return connection


def install(engine: AsyncEngine) -> bool:
    """Make ``engine`` (SQLite through aiosqlite) open :class:`OneHopConnection` s; False
    where this aiosqlite lacks what they need (the engine is left as it was)."""
    if not SUPPORTED:
        return False

    @event.listens_for(engine.sync_engine, "do_connect")
    def _one_hop(_dialect: Any, _record: Any, _cargs: Any, cparams: dict[str, Any]) -> None:
        # SQLAlchemy's aiosqlite adapter connects through this function when given one.
        cparams.setdefault("async_creator_fn", connect)

    return True
