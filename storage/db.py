"""Engine and session factory, with the per-dialect settings in one place.

SQLite runs in WAL mode with a busy timeout. A transaction starts with ``BEGIN
IMMEDIATE`` (it takes the one write lock at once, so concurrent writers queue on the
busy timeout instead of failing on a read-to-write lock upgrade; this process's own
take turns for it first, see ``storage/write_turns.py``) unless it runs in
:func:`deferred_transactions`: then it starts with a plain ``BEGIN``, reads without
the write lock and takes it at its first write. If another writer committed since
it began reading, that write fails at once (:func:`is_write_conflict`) and the
transaction must be run again: the update worker does so, the second time
``IMMEDIATE`` (``bot/app/runtime/handling.py``). Either ``BEGIN`` goes to the
connection's thread with the transaction's first statement, in one trip
(``storage/sqlite_one_hop.py``); this process's write turn is taken before it, at the
begin. PostgreSQL's pool pings a connection
that has sat idle before handing it out, so a restarted server does not hand out dead
ones (``storage/pool_liveness.py``); its transactions are as they always were (READ
COMMITTED, conditional updates and row locks).
"""

from __future__ import annotations

import weakref
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

from sqlalchemy import ColumnElement, CursorResult, Executable, event, update
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.orm import DeclarativeBase, Session

from storage import pool_liveness, sqlite_one_hop
from storage.files import private_sqlite_file
from storage.read_only import READ_ONLY
from storage.statements import install as install_statement_counting
from storage.write_turns import WriteTurns

SQLITE_BUSY_TIMEOUT_MS = 30_000
# Seconds a write turn may stand still before it is forfeit (storage/write_turns.py).
WRITE_TURN_PATIENCE = 2.0
# SQLite's result codes when a deferred transaction that has read cannot take the write
# lock: another writer holds it (no waiting: its snapshot would be stale), or committed.
SQLITE_BUSY, SQLITE_BUSY_SNAPSHOT = 5, 517


class Deferred:
    """What :func:`deferred_transactions` saw: ``conflict`` once a write met another writer
    (whatever became of the error: a handler may have caught it, the session then refuses
    to go on with another error)."""

    def __init__(self, deferred: bool) -> None:
        self.deferred = deferred
        self.conflict = False


_deferred: ContextVar[Deferred | None] = ContextVar("sqlite_deferred_transactions", default=None)


@contextmanager
def deferred_transactions(deferred: bool = True) -> Iterator[Deferred]:
    """SQLite transactions begun in this block (by this task) start deferred (see the module)."""
    seen = Deferred(deferred)
    token = _deferred.set(seen)
    try:
        yield seen
    finally:
        _deferred.reset(token)


def is_write_conflict(error: BaseException) -> bool:
    """Said of an error in a deferred SQLite transaction: it could not write because another
    writer holds the lock or committed since it began reading. Nothing of it was stored;
    running it again ``IMMEDIATE`` waits its turn instead."""
    original = getattr(error, "orig", None)
    return getattr(original, "sqlite_errorcode", None) in (SQLITE_BUSY, SQLITE_BUSY_SNAPSHOT)


def is_sqlite_url(url: str) -> bool:
    return make_url(url).get_backend_name() == "sqlite"


@dataclass(frozen=True)
class PoolSize:
    """A process's connection pool: ``size`` connections kept open, up to ``overflow``
    more opened at a peak and closed as soon as they are given back.

    The worker handles each update of a ``getUpdates`` answer in a transaction of its
    own, at once: at SQLAlchemy's default (5 and 10) a busy bot kept opening and closing
    connections (a server process and a handshake each on PostgreSQL; a thread and the
    pragmas each on SQLite), and updates waited for one (``docs/performance.md``)."""

    size: int
    overflow: int


def _in_memory(url: str) -> bool:
    parsed = make_url(url)
    return parsed.get_backend_name() == "sqlite" and parsed.database in (None, "", ":memory:")


def ensure_sqlite_directory(url: str) -> None:
    """Create the folder of a file-based SQLite database (``./data`` by default), and the
    database file itself readable by its owner only (0600; its WAL files follow it)."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite" and not _in_memory(url):
        database = Path(str(parsed.database)).expanduser()
        database.parent.mkdir(parents=True, exist_ok=True)
        private_sqlite_file(database)


def create_engine(
    url: str,
    *,
    busy_timeout: float = SQLITE_BUSY_TIMEOUT_MS / 1000,
    pool: PoolSize | None = None,
    **kwargs: Any,
) -> AsyncEngine:
    """``busy_timeout`` (SQLite only): seconds a statement waits for another writer.
    ``pool``: how many connections are kept open and how many more may be opened at a
    peak (a database in memory has one connection, and no pool to size).

    Statement parameters are never put into error messages or logs (they hold names,
    phone numbers and what residents wrote).
    """
    kwargs.setdefault("hide_parameters", True)
    if pool is not None and not _in_memory(url):
        kwargs.setdefault("pool_size", pool.size)
        kwargs.setdefault("max_overflow", pool.overflow)
        # The connection given back last goes out first: a moderate load keeps reusing
        # a few warm connections (PostgreSQL's prepared statements, SQLite's page cache)
        # instead of cycling through all of them, and the rest sit idle.
        kwargs.setdefault("pool_use_lifo", True)
    if is_sqlite_url(url):
        ensure_sqlite_directory(url)
        engine = create_async_engine(url, connect_args={"timeout": busy_timeout}, **kwargs)
        if engine.dialect.driver == "aiosqlite":
            sqlite_one_hop.install(engine)
        _configure_sqlite(engine, busy_timeout_ms=round(busy_timeout * 1000))
    else:
        engine = create_async_engine(url, **kwargs)
        pool_liveness.install(engine)
    install_statement_counting(engine)
    return engine


def _configure_sqlite(engine: AsyncEngine, busy_timeout_ms: int) -> None:
    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy, not the driver, decide when transactions begin.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={busy_timeout_ms}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        # Deleted and rewritten rows (handled raw updates) are zeroed, not left in the file.
        cursor.execute("PRAGMA secure_delete=ON")
        cursor.close()

    @event.listens_for(engine.sync_engine.pool, "invalidate")
    def _on_invalidate(_dbapi_connection: Any, record: Any, _error: Any) -> None:
        _close_on_its_thread(record.driver_connection)

    turns = _turns[engine.sync_engine] = WriteTurns(
        patience=min(WRITE_TURN_PATIENCE, busy_timeout_ms / 1000)
    )
    turns.install(engine.sync_engine)

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(connection: Any) -> None:
        seen = _deferred.get()
        if (seen and seen.deferred) or connection.get_execution_options().get(READ_ONLY):
            _begin(connection, "BEGIN")
            return
        dbapi_connection = connection.connection.dbapi_connection
        turns.take(dbapi_connection)
        try:
            _begin(connection, "BEGIN IMMEDIATE")
        except BaseException:
            turns.give_back(dbapi_connection)
            raise

    @event.listens_for(engine.sync_engine, "handle_error")
    def _on_error(context: Any) -> None:
        seen = _deferred.get()
        if seen is not None and seen.deferred and is_write_conflict(context.sqlalchemy_exception):
            seen.conflict = True


def _begin(connection: Any, begin: str) -> None:
    """Begin the transaction: with its first statement, in the same trip to the
    connection's thread where the driver can (``storage/sqlite_one_hop.py``), else now."""
    driver = connection.connection.driver_connection
    if isinstance(driver, sqlite_one_hop.OneHopConnection):
        driver.begin_with_next(begin)
    else:
        connection.exec_driver_sql(begin)


def _close_on_its_thread(driver_connection: Any) -> None:
    """Roll back and close an invalidated aiosqlite connection's ``sqlite3`` connection on
    its own thread, after the statement it may still be running.

    A task cancelled inside a statement gets its connection invalidated, and aiosqlite
    then stops the connection's thread without closing the ``sqlite3`` connection: its
    transaction — SQLite's write lock, and what it wrote in the WAL file — stays until
    the garbage collector happens to finalise it, and every writer meanwhile waits out
    the busy timeout (a close alone waits for that statement to be finalised). Queued here
    first, the rollback and the close run before the thread stops (the same queue
    SQLAlchemy's aiosqlite adapter uses to run a call on that thread).
    """
    raw = getattr(driver_connection, "_connection", None)
    queue = getattr(driver_connection, "_tx", None)
    if raw is not None and queue is not None:
        # Closing alone leaves the transaction to a statement not yet finalised.
        queue.put_nowait((None, raw.rollback))
        queue.put_nowait((None, raw.close))


_turns: weakref.WeakKeyDictionary[Engine, WriteTurns] = weakref.WeakKeyDictionary()


def write_turns(engine: AsyncEngine) -> WriteTurns | None:
    """The write turns of an SQLite engine made by :func:`create_engine` (None otherwise)."""
    return _turns.get(engine.sync_engine)


def create_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    """Sessions of a class of their own, so session events can be listened to on this
    sessionmaker's sessions alone (:func:`session_class_of`)."""
    own = type("BotSession", (Session,), {})
    return async_sessionmaker(engine, expire_on_commit=False, sync_session_class=own)


def session_class_of(sessionmaker: async_sessionmaker[AsyncSession]) -> type[Session]:
    """The (synchronous) session class of a sessionmaker made by :func:`create_sessionmaker`:
    the target for session events."""
    own = sessionmaker.kw.get("sync_session_class")
    assert isinstance(own, type) and issubclass(own, Session) and own is not Session
    return own


async def rows_changed(
    session: AsyncSession, statement: Executable, params: Mapping[str, Any] | None = None
) -> int:
    """Run an INSERT, UPDATE or DELETE and return how many rows it changed.

    A conditional UPDATE that changed one row is how a claim or a transition wins a race.
    """
    # DML statements produce a CursorResult; ``execute`` is typed for any statement.
    result = cast(CursorResult[Any], await session.execute(statement, params))
    return max(result.rowcount, 0)


async def claim(
    session: AsyncSession,
    model: type[DeclarativeBase],
    *still: ColumnElement[bool],
    **values: Any,
) -> bool:
    """Set ``values`` on the one row of ``model`` that matches ``still`` (its key and the
    state it must still be in); True if this call changed it, i.e. won the race.

    Whoever claims a lease, a reminder or a one-time token this way cannot win twice,
    even with another instance doing the same at the same moment.
    """
    statement = update(model).where(*still).values(**values)
    changed = await rows_changed(session, statement.execution_options(synchronize_session=False))
    return changed == 1
