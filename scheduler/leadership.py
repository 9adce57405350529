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
seconds, failing after ``interval`` seconds without an answer). If the database can
still be reached, only its connection broke and another instance may lead by now: it
stops its leader-only parts at once (``on_deposed``) and stands by. If the database
cannot be reached at all (an outage: no instance can do any of the leader's work), it
keeps its role while that lasts, up to ``OUTAGE_PATIENCE_SECONDS``, so a lone instance
waits out an outage as it always did; once the database is back it takes the lock
again, or steps down if another instance has it. A leader whose connection hangs
without the server having dropped it still holds the lock: nobody else leads meanwhile.
If the server dropped it while the leader had not yet noticed (or while it waits out
what is, for it alone, an outage), two instances may both lead for a while: outbox rows
are claimed under leases and jobs change rows with conditional updates, so nothing is
sent or escalated twice, but the fleet's pacing may briefly exceed Telegram's rate (a
429 then slows the sender down), and two pollers meet 409s, which they wait out.

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

from scheduler.resilience import cancel_and_wait, summary

log = logging.getLogger(__name__)

DEFAULT_INTERVAL = 2.0
STOP_WAIT_SECONDS = 5.0
WAKE_CHANNEL = "resident_bot_outbox"
# How long a leader that cannot reach the database keeps its role (see ``_failed``).
OUTAGE_PATIENCE_SECONDS = 30.0


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
        self._unreachable_since: float | None = None  # a leader waiting out an outage
        self._patience = max(OUTAGE_PATIENCE_SECONDS, 5 * interval)

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
        self._stopped = False
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
        await cancel_and_wait(self._tasks, STOP_WAIT_SECONDS, "leadership")
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
        while not self._stopped:
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
        while not self._stopped:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._lost.wait(), self._interval)
            try:
                if self._unreachable_since is not None:
                    await self._regain()
                elif self.is_leader():
                    await self._check()
                else:
                    await self._attempt()
            except asyncio.CancelledError:
                raise
            except Exception as error:
                await self._failed(error)

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

    async def _failed(self, error: BaseException) -> None:
        """The connection failed (or the lock's check did). A standby simply tries again.
        A leader looks whether the database can be reached: if it can, this connection
        alone broke, and another instance may lead by now: it steps down (and lets the
        standbys try first). If it cannot, no instance can do any leader's work meanwhile:
        it keeps the role while the outage lasts (at most ``patience``) and takes the lock
        again once the database is back, or steps down if another has it."""
        await self._disconnect()
        if not self.is_leader():
            return
        if self._unreachable_since is not None:
            if time.monotonic() - self._unreachable_since > self._patience:
                self._unreachable_since = None
                self._depose(error)
            return
        try:
            await self._connect()
        except Exception as away:
            self._unreachable_since = time.monotonic()
            log.warning(
                "Instance %s lost its leadership connection and cannot reach the database "
                "(%s); it keeps the lead while the outage lasts (at most %.0fs)",
                self.instance_id,
                summary(away),
                self._patience,
            )
            return
        self._depose(error)
        await asyncio.sleep(2 * self._interval)  # the standbys first

    async def _regain(self) -> None:
        """The database is back after an outage this leader waited out."""
        await self._connect()
        self._unreachable_since = None
        if await self._execute("SELECT pg_try_advisory_lock($1)", self._key):
            async with self._busy:
                await self._pg.add_listener(WAKE_CHANNEL, self._heard)
            log.warning("Instance %s keeps the lead after the outage", self.instance_id)
        else:
            self._depose(ConnectionError("another instance took the lead meanwhile"))

    def _depose(self, error: BaseException) -> None:
        log.warning("Instance %s lost the leadership (%s)", self.instance_id, summary(error))
        self._become(InstanceRole.STANDBY)

    async def _connect(self) -> None:
        assert self._engine is not None
        await self._disconnect()
        self._lost.clear()
        connection = await asyncio.wait_for(self._engine.connect(), max(5.0, 2 * self._interval))
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
