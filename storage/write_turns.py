"""SQLite: this process's writing transactions take turns for the one write lock.

SQLite has one write lock. A transaction that finds it taken polls for it in SQLite's
busy handler, sleeping 1, 2, 5 … up to 100 ms between tries: under load a waiter sleeps
on after the lock is free and any waiter can win, so an unlucky one loses race after
race (the load benchmark's p99 was 0.7–1.1 s at half the maximum rate). Here this
process's ``BEGIN IMMEDIATE`` transactions queue for it instead, first come first
served, and the next one begins as soon as the last one ends.

The turn only orders this process's writers; SQLite's lock still guards the data. So
a turn can never cost more than ordering:

- it is held by one DBAPI connection (compared by identity) and given back however
  that connection's transaction ends: commit, rollback, check-in, reset, invalidation
  (a cancelled statement), close or detach; on a commit, once the COMMIT has run where
  the driver says when (``storage/sqlite_one_hop.py``), for SQLAlchemy's event comes
  before it;
- a turn that has not moved for ``patience`` seconds is forfeit (logged): the next
  waiter goes on, to SQLite's own lock if the old holder still has it;
- another process (a CLI command) meets SQLite's busy handler as before.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.util import await_only

log = logging.getLogger(__name__)


class WriteTurns:
    """The turns of one SQLite engine's ``BEGIN IMMEDIATE`` transactions (see the module)."""

    def __init__(self, patience: float) -> None:
        self._patience = patience
        self._lock: asyncio.Lock | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._holder: object | None = None  # the DBAPI connection that holds the turn
        self._since = 0.0  # when it took it (monotonic)
        self.forfeits = 0

    @property
    def held(self) -> bool:
        """Whether a transaction of this process holds the turn now."""
        return self._holder is not None

    def take(self, dbapi_connection: object) -> None:
        """Wait for the turn; called from the greenlet that runs the connection's
        statements (SQLAlchemy's ``begin`` event)."""
        if dbapi_connection is self._holder:
            # A connection runs one transaction at a time: its last one is over, even
            # if no event said so.
            self._since = time.monotonic()
            return
        loop = asyncio.get_running_loop()
        if self._lock is None or self._loop is not loop:
            self._lock, self._loop, self._holder = asyncio.Lock(), loop, None
        await_only(self._acquire(self._lock))
        self._holder, self._since = dbapi_connection, time.monotonic()

    async def _acquire(self, lock: asyncio.Lock) -> None:
        while True:
            holder, since = self._holder, self._since
            if holder is None:  # free, or just handed to the next waiter
                wait = self._patience
            else:
                wait = max(since + self._patience - time.monotonic(), 0.001)
            try:
                async with asyncio.timeout(wait):
                    await lock.acquire()
                return
            except TimeoutError:
                stale = holder is not None and self._holder is holder and self._since == since
                if stale and lock.locked():
                    self._forfeit(lock)

    def _forfeit(self, lock: asyncio.Lock) -> None:
        self.forfeits += 1
        log.warning(
            "an SQLite write turn has not moved for %.1f s: forfeit, the next writer goes on",
            time.monotonic() - self._since,
        )
        self._holder = None
        lock.release()

    def give_back(self, dbapi_connection: object | None) -> None:
        """The connection's transaction is over (a no-op unless it holds the turn)."""
        if dbapi_connection is None or dbapi_connection is not self._holder:
            return
        self._holder = None
        if self._lock is not None and self._lock.locked():
            self._lock.release()

    def install(self, engine: Engine) -> None:
        """Give turns back on every way one of ``engine``'s transactions or its connection
        can end (the engine's ``begin`` takes them: ``storage/db.py``)."""

        @event.listens_for(engine, "commit")
        def _on_commit(connection: Any) -> None:
            # The event comes before the COMMIT runs. Where the driver says when its
            # commit is done, the turn passes on then: the next writer's BEGIN IMMEDIATE
            # would otherwise meet the lock still held and sleep in SQLite's busy handler.
            dbapi_connection = _dbapi_of(connection)
            driver: Any = getattr(dbapi_connection, "driver_connection", None)
            if hasattr(driver, "after_commit"):
                driver.after_commit = lambda: self.give_back(dbapi_connection)
            else:
                self.give_back(dbapi_connection)

        @event.listens_for(engine, "rollback")
        def _on_end(connection: Any) -> None:
            self.give_back(_dbapi_of(connection))

        pool = engine.pool

        @event.listens_for(pool, "checkin")
        @event.listens_for(pool, "close")
        @event.listens_for(pool, "detach")
        def _on_pool(dbapi_connection: Any, _record: Any) -> None:
            self.give_back(dbapi_connection)

        @event.listens_for(pool, "reset")
        def _on_reset(dbapi_connection: Any, _record: Any, _state: Any) -> None:
            self.give_back(dbapi_connection)

        @event.listens_for(pool, "invalidate")
        @event.listens_for(pool, "soft_invalidate")
        def _on_invalidate(dbapi_connection: Any, _record: Any, _error: Any) -> None:
            self.give_back(dbapi_connection)

        @event.listens_for(pool, "close_detached")
        def _on_close_detached(dbapi_connection: Any) -> None:
            self.give_back(dbapi_connection)


def _dbapi_of(connection: Any) -> object | None:
    try:
        return connection.connection.dbapi_connection
    except Exception:  # invalidated or closed: the pool's events give the turn back
        return None
