"""Engine and session factory, with the per-dialect settings in one place.

SQLite runs in WAL mode with a busy timeout, and every transaction starts with
``BEGIN IMMEDIATE`` so concurrent writers queue on the busy timeout instead of
failing on a read-to-write lock upgrade. PostgreSQL gets ``pool_pre_ping`` so a
restarted server does not hand out dead connections.
"""

from __future__ import annotations

from collections.abc import Mapping
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

SQLITE_BUSY_TIMEOUT_MS = 30_000


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
        return engine
    return create_async_engine(url, pool_pre_ping=True, **kwargs)


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
        connection.exec_driver_sql("BEGIN IMMEDIATE")


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
