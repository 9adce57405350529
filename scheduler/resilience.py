"""Outages: which errors are worth waiting out, and how every long-running loop waits.

The database (a locked SQLite file, a PostgreSQL restart) or the network to
Telegram can be away for a while, and PostgreSQL may abort a transaction to end a
deadlock (a lost race: the same work, tried again, will do). Every loop — the update
poller, the update worker, the outbox sender, the scheduler's jobs — asks
:func:`is_transient` here whether an error is one of these; if it is, the loop keeps
what it holds for later and tries again after a bounded, jittered exponential
back-off (:class:`Outage`), logging one line when the outage begins and one when it
ends.
Any other error is a fault that retrying cannot mend: a loop stops, and the
process exits non-zero so that a supervisor notices. A job is not a loop: it skips
its run in an outage and raises a fault to the scheduler, which logs it and runs the
job again at its next tick (``scheduler/jobs.surviving_outages``).
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import Callable, Iterable, Iterator

from aiogram.exceptions import TelegramAPIError
from sqlalchemy import exc as sa_exc

from bot.presentation.telegram_errors import is_network_outage

log = logging.getLogger(__name__)

BACKOFF_INITIAL_SECONDS = 0.5
BACKOFF_CAP_SECONDS = 30.0

# SQLite: another connection holds the file longer than the busy timeout, or the
# file cannot be reached for now (a full disk, a lost mount).
_SQLITE_TRANSIENT = (
    "database is locked",
    "database table is locked",
    "database is busy",
    "unable to open database file",
    "disk i/o error",
    "database or disk is full",
)
# PostgreSQL SQLSTATEs of a server that is away, starting, stopping or full:
# class 08 (connection exception), 57P01-57P03 (admin/crash shutdown, cannot
# connect now), 53300 (too many connections).
_PG_TRANSIENT_PREFIXES = ("08", "57P01", "57P02", "57P03", "53300")
# asyncpg's own names for the same (when a connection breaks under a query).
_ASYNCPG_TRANSIENT = (
    "ConnectionDoesNotExistError",
    "ConnectionFailureError",
    "CannotConnectNowError",
    "AdminShutdownError",
    "CrashShutdownError",
    "TooManyConnectionsError",
    "ConnectionRejectionError",
)
# PostgreSQL SQLSTATEs of a transaction that lost a race with another one, which is
# worth running again from the start: 40P01 deadlock detected (the server aborted it to
# free the other), 40001 serialization failure, 55P03 lock not available.
_PG_LOST_RACE = ("40P01", "40001", "55P03")


def _chain(error: BaseException) -> Iterator[BaseException]:
    """The error, what SQLAlchemy wrapped (``orig``), and its causes."""
    seen: set[int] = set()
    todo: list[BaseException | None] = [error]
    while todo:
        current = todo.pop()
        if current is None or id(current) in seen:
            continue
        seen.add(id(current))
        yield current
        todo.extend((getattr(current, "orig", None), current.__cause__, current.__context__))


def is_database_outage(error: BaseException) -> bool:
    """The database cannot be reached or used for now (not: a statement that is wrong)."""
    if isinstance(error, TelegramAPIError):
        return False  # its cause may be a TimeoutError or an OSError, but of the network
    if isinstance(error, sa_exc.DBAPIError) and error.connection_invalidated:
        return True
    if isinstance(error, sa_exc.DisconnectionError | sa_exc.TimeoutError):
        return True  # a dead pooled connection; no connection free in the pool in time
    for link in _chain(error):
        if isinstance(link, ConnectionError | TimeoutError):
            return True
        if type(link).__name__ in _ASYNCPG_TRANSIENT:
            return True
        sqlstate = getattr(link, "sqlstate", None) or getattr(link, "pgcode", None)
        if isinstance(sqlstate, str) and sqlstate.startswith(_PG_TRANSIENT_PREFIXES):
            return True
        if type(link).__name__ == "OperationalError" and any(
            phrase in str(link).lower() for phrase in _SQLITE_TRANSIENT
        ):
            return True
    # Connecting failed below the driver (refused, unreachable, DNS): a bare OSError.
    return isinstance(error, OSError)


def is_lost_race(error: BaseException) -> bool:
    """The database aborted this transaction for another's sake (a deadlock, a
    serialization conflict): the same work, tried again, will do."""
    for link in _chain(error):
        sqlstate = getattr(link, "sqlstate", None) or getattr(link, "pgcode", None)
        if sqlstate in _PG_LOST_RACE:
            return True
    return False


def is_transient(error: BaseException) -> bool:
    """Worth waiting out and trying again: the database or the network is away for now,
    or the database aborted a transaction for another's sake (a lost race)."""
    return is_database_outage(error) or is_network_outage(error) or is_lost_race(error)


def what_is_away(error: BaseException) -> str:
    return "the database" if is_database_outage(error) or is_lost_race(error) else "the Bot API"


def summary(error: BaseException) -> str:
    """The error's kind and first line, without SQL statements or their parameters."""
    origin = getattr(error, "orig", None) or error
    text = str(origin).strip().splitlines()[0] if str(origin).strip() else ""
    return f"{type(origin).__name__}: {text[:200]}" if text else type(origin).__name__


async def cancel_and_wait(tasks: Iterable[asyncio.Task[object]], seconds: float, what: str) -> None:
    """Cancel ``tasks`` and wait for them to end, ``seconds`` at the most.

    A task can swallow its cancellation: on Python 3.11, ``asyncio.wait_for`` returns the
    result instead of raising when what it waits for finishes at the moment it is
    cancelled. Such a task is cancelled again until the time is up; one still running
    then is left behind with a warning rather than hanging the stop for ever."""
    tasks = list(tasks)
    pending = {task for task in tasks if not task.done()}
    deadline = time.monotonic() + seconds
    while pending:
        for task in pending:
            task.cancel()
        left = deadline - time.monotonic()
        if left <= 0:
            names = ", ".join(sorted(task.get_name() for task in pending))
            log.warning("%s did not stop within %.1fs (%s)", what, seconds, names)
            return
        _, pending = await asyncio.wait(pending, timeout=min(left, 0.5))
    for task in tasks:
        if task.done() and not task.cancelled():
            task.exception()  # retrieved: the stop is what the caller wanted


class GaveUp(RuntimeError):
    """An outage lasted longer than the configured limit: the loop stops for good."""


class Outage:
    """One loop's view of an outage: when it began, how long to wait before the next try.

    ``failed(error)`` returns the delay before the next attempt (exponential from
    ``initial`` to ``cap``, with jitter so that several loops and instances do not
    retry in step) and logs only the first failure of an outage; ``recovered()``
    logs its end. With ``give_up_after`` (seconds), an outage that lasts longer
    raises :class:`GaveUp` instead.
    """

    def __init__(
        self,
        name: str,
        *,
        rng: random.Random | None = None,
        give_up_after: float | None = None,
        initial: float = BACKOFF_INITIAL_SECONDS,
        cap: float = BACKOFF_CAP_SECONDS,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.name = name
        self._rng = rng or random.Random()
        self._give_up_after = give_up_after or None
        self._initial = initial
        self._cap = cap
        self._monotonic = monotonic
        self._began: float | None = None
        self._failures = 0

    @property
    def ongoing(self) -> bool:
        return self._began is not None

    def failed(self, error: BaseException) -> float:
        now = self._monotonic()
        if self._began is None:
            self._began = now
            if is_lost_race(error):
                log.warning(
                    "%s: a transaction lost a race with another (%s); trying again",
                    self.name,
                    summary(error),
                )
            else:
                log.warning(
                    "%s: %s is unavailable (%s); retrying with back-off until it is back%s",
                    self.name,
                    what_is_away(error),
                    summary(error),
                    f", for at most {self._give_up_after:.0f}s" if self._give_up_after else "",
                )
        self._failures += 1
        if self._give_up_after is not None and now - self._began > self._give_up_after:
            log.critical(
                "%s: %s still unavailable after %.0fs (%s); giving up",
                self.name,
                what_is_away(error),
                now - self._began,
                summary(error),
            )
            raise GaveUp(f"{self.name}: gave up after {now - self._began:.0f}s") from error
        ceiling = min(self._cap, self._initial * 2 ** (self._failures - 1))
        return ceiling * (0.5 + self._rng.random() / 2)

    def recovered(self) -> None:
        if self._began is None:
            return
        log.warning(
            "%s: back to work after %.1fs (%d failed attempts)",
            self.name,
            self._monotonic() - self._began,
            self._failures,
        )
        self._began = None
        self._failures = 0
