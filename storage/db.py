"""Engine and session factory, with the per-dialect settings in one place.

SQLite runs in WAL mode with a busy timeout. A transaction starts with ``BEGIN
IMMEDIATE`` (it takes the one write lock at once, so concurrent writers queue on the
busy timeout instead of failing on a read-to-write lock upgrade) unless it runs in
:func:`deferred_transactions`: then it starts with a plain ``BEGIN``, reads without
the write lock and takes it at its first write. If another writer committed since
it began reading, that write fails at once (:func:`is_write_conflict`) and the
transaction must be run again: the update worker does so, the second time
``IMMEDIATE`` (``bot/app/runtime/handling.py``). PostgreSQL gets ``pool_pre_ping``
so a restarted server does not hand out dead connections; its transactions are as
they always were (READ COMMITTED, conditional updates and row locks).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path
from typing import Any, cast

from sqlalchemy import ColumnElement, CursorResult, Executable, event, update
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.orm import DeclarativeBase

from storage.files import private_sqlite_file
from storage.statements import install as install_statement_counting

SQLITE_BUSY_TIMEOUT_MS = 30_000
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


def ensure_sqlite_directory(url: str) -> None:
    """Create the folder of a file-based SQLite database (``./data`` by default), and the
    database file itself readable by its owner only (0600; its WAL files follow it)."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite" and parsed.database not in (None, "", ":memory:"):
        database = Path(parsed.database).expanduser()
        database.parent.mkdir(parents=True, exist_ok=True)
        private_sqlite_file(database)


def create_engine(
    url: str, *, busy_timeout: float = SQLITE_BUSY_TIMEOUT_MS / 1000, **kwargs: Any
) -> AsyncEngine:
    """``busy_timeout`` (SQLite only): seconds a statement waits for another writer.

    Statement parameters are never put into error messages or logs (they hold names,
    phone numbers and what residents wrote).
    """
    kwargs.setdefault("hide_parameters", True)
    if is_sqlite_url(url):
        ensure_sqlite_directory(url)
        engine = create_async_engine(url, connect_args={"timeout": busy_timeout}, **kwargs)
        _configure_sqlite(engine, busy_timeout_ms=round(busy_timeout * 1000))
    else:
        engine = create_async_engine(url, pool_pre_ping=True, **kwargs)
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

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(connection: Any) -> None:
        seen = _deferred.get()
        connection.exec_driver_sql("BEGIN" if seen and seen.deferred else "BEGIN IMMEDIATE")

    @event.listens_for(engine.sync_engine, "handle_error")
    def _on_error(context: Any) -> None:
        seen = _deferred.get()
        if seen is not None and seen.deferred and is_write_conflict(context.sqlalchemy_exception):
            seen.conflict = True


def create_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False)


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
