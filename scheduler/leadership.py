"""Which instance of a fleet sharing one PostgreSQL database leads.

Every instance handles updates (the inbox is claimed safely by any number of workers),
but some work must be done by one instance at a time: the outbox sender (its
:class:`~scheduler.rate_limits.SendPacer` then keeps Telegram's limits for the fleet as a
whole), the scheduler's jobs and, in polling mode, ``getUpdates`` (Telegram answers two
pollers with 409). The instance that holds a PostgreSQL *session-level advisory lock*
(``pg_try_advisory_lock``), on a connection of its own kept open for that, is the
leader; the others are standbys and try again every ``interval`` seconds. The lock
vanishes with the connection: when the leader's process dies, or its connection breaks,
PostgreSQL releases it and a standby takes over within ``interval`` seconds. No other
server is needed.

The leader notices a lost connection at once (asyncpg tells it the connection
terminated) or, at the latest, at its next check (``SELECT 1`` every ``interval``
seconds, failing after ``interval`` seconds without an answer), and stops its
leader-only parts (``on_deposed``). A leader whose connection hangs without the server
having dropped it still holds the lock: nobody else leads meanwhile. If the server
dropped it while the leader had not yet noticed, two instances may both lead for up to
``interval`` seconds: outbox rows are claimed under leases and jobs change rows with
conditional updates, so nothing is sent or escalated twice, but the fleet's pacing may
briefly exceed Telegram's rate (a 429 then slows the new leader down).

A standby that queued something for the outbox (its worker handled an update) wakes the
leader's sender through ``NOTIFY`` on :data:`WAKE_CHANNEL` (sent on the same connection,
at most one in flight); the leader ``LISTEN`` s there while it leads.

With SQLite there is one instance: it leads from the start, with no connection of its own.
"""

from __future__ import annotations

import asyncio
import contextlib
import enum
import hashlib
import logging
import time
from collections.abc import Callable
from typing import Any

from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine
from sqlalchemy.pool import NullPool

from scheduler.resilience import summary

log = logging.getLogger(__name__)

DEFAULT_INTERVAL = 2.0
WAKE_CHANNEL = "resident_bot_outbox"


def _lock_key(name: str) -> int:
    """A stable signed 64-bit advisory-lock key for ``name``."""
    return int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "big", signed=True)


LEADER_LOCK = _lock_key("resident-bot:leader")


class InstanceRole(enum.StrEnum):
    LEADER = "leader"
    STANDBY = "standby"


class Leadership:
    """Leader election for one instance (see the module).

    ``on_elected`` and ``on_deposed`` are called (synchronously, in the event loop) when
    this instance becomes the leader and when it stops being it; ``on_wake`` when a
    standby asks the leader's sender to look at the outbox.
    """

    def __init__(
        self,
        database_url: str,
        *,
        instance_id: str,
        interval: float = DEFAULT_INTERVAL,
        on_elected: Callable[[], None] = lambda: None,
        on_deposed: Callable[[], None] = lambda: None,
        on_wake: Callable[[], None] = lambda: None,
        lock_key: int = LEADER_LOCK,
    ) -> None:
        self.instance_id = instance_id
        self.single = make_url(database_url).get_backend_name() != "postgresql"
        self._url = database_url
        self._interval = interval
        self._on_elected = on_elected
        self._on_deposed = on_deposed
        self._on_wake = on_wake
        self._key = lock_key
        self._role = InstanceRole.STANDBY
        self._since = time.monotonic()
        self.terms = 0  # how many times this instance was elected
        self._engine: AsyncEngine | None = None
        self._connection: AsyncConnection | None = None
        self._pg: Any = None  # the asyncpg connection under ``_connection``
        self._busy = asyncio.Lock()  # one statement at a time on that connection
        self._lost = asyncio.Event()  # the connection terminated
        self._notify_wanted = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []
        self._stopped = False

    # ------------------------------------------------------------------ state
    @property
    def role(self) -> InstanceRole:
        return self._role

    def is_leader(self) -> bool:
        return self._role is InstanceRole.LEADER

    @property
    def held_for(self) -> float:
        """Seconds in the current role."""
        return time.monotonic() - self._since

    @property
    def backend_pid(self) -> int | None:
        """The PostgreSQL backend of the lock's connection (None: none open)."""
        pg = self._pg
        return None if pg is None or pg.is_closed() else int(pg.get_server_pid())

    # -------------------------------------------------------------- lifecycle
    async def start(self) -> None:
        """One attempt at once (a lone instance leads when this returns), then keep trying."""
        if self.single:
            self._become(InstanceRole.LEADER)
            return
        self._engine = create_async_engine(self._url, poolclass=NullPool, hide_parameters=True)
        with contextlib.suppress(Exception):
            await self._attempt()
        self._tasks = [
            asyncio.create_task(self._run(), name="leadership"),
            asyncio.create_task(self._notifier(), name="leadership-notify"),
        ]

    async def stop(self) -> None:
        """Give up the role (the lock is released with the connection) and stop trying."""
        self._stopped = True
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        self._tasks = []
        if self.is_leader():
            self._become(InstanceRole.STANDBY)
        await self._disconnect()
        if self._engine is not None:
            await self._engine.dispose()
            self._engine = None

    # ---------------------------------------------------------------- waking
    def notify(self) -> None:
        """Ask the leader's sender to look at the outbox now (coalesced; a leader wakes
        its own)."""
        if self.is_leader():
            self._on_wake()
        elif not self.single and not self._stopped:
            self._notify_wanted.set()

    async def _notifier(self) -> None:
        while True:
            await self._notify_wanted.wait()
            self._notify_wanted.clear()
            if self.is_leader():
                self._on_wake()
                continue
            try:
                await self._execute("SELECT pg_notify($1, '')", WAKE_CHANNEL)
            except Exception as error:  # the leader's sender polls anyway
                log.debug("Could not wake the leader's sender: %s", summary(error))

    def _heard(self, *_: Any) -> None:
        if self.is_leader():
            self._on_wake()

    # --------------------------------------------------------------- election
    async def _run(self) -> None:
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._lost.wait(), self._interval)
            try:
                if self.is_leader():
                    await self._check()
                else:
                    await self._attempt()
            except asyncio.CancelledError:
                raise
            except Exception as error:
                was_leader = self.is_leader()
                await self._lose(error)
                if was_leader:  # the standbys first: this instance's link may be the trouble
                    await asyncio.sleep(2 * self._interval)

    async def _attempt(self) -> None:
        if self._pg is None:
            await self._connect()
        if await self._execute("SELECT pg_try_advisory_lock($1)", self._key):
            async with self._busy:
                await self._pg.add_listener(WAKE_CHANNEL, self._heard)  # LISTEN
            self._become(InstanceRole.LEADER)

    async def _check(self) -> None:
        if self._lost.is_set():
            raise ConnectionError("the leadership connection terminated")
        await asyncio.wait_for(self._execute("SELECT 1"), self._interval)

    async def _lose(self, error: BaseException) -> None:
        if self.is_leader():
            log.warning("Instance %s lost the leadership (%s)", self.instance_id, summary(error))
            self._become(InstanceRole.STANDBY)
        # A fresh connection at the next attempt; the old one (and any lock) is dropped.
        await self._disconnect()

    async def _connect(self) -> None:
        assert self._engine is not None
        self._lost.clear()
        connection = await self._engine.connect()
        raw = await connection.get_raw_connection()
        self._connection, self._pg = connection, raw.driver_connection
        self._pg.add_termination_listener(lambda *_: self._lost.set())

    async def _disconnect(self) -> None:
        connection, self._connection, self._pg = self._connection, None, None
        if connection is not None:
            with contextlib.suppress(Exception):
                await connection.invalidate()  # closes the driver's connection: lock gone
            with contextlib.suppress(Exception):
                await connection.close()

    async def _execute(self, statement: str, *args: Any) -> Any:
        pg = self._pg
        if pg is None:
            raise ConnectionError("no leadership connection")
        async with self._busy:
            return await pg.fetchval(statement, *args)

    def _become(self, role: InstanceRole) -> None:
        if role is self._role:
            return
        self._role = role
        self._since = time.monotonic()
        if role is InstanceRole.LEADER:
            self.terms += 1
            if not self.single:
                log.info("Instance %s leads (sender, scheduler, polling)", self.instance_id)
            self._on_elected()
        else:
            self._on_deposed()
