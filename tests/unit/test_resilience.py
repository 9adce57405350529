"""Which errors are outages to wait out, and how a loop waits them out."""

from __future__ import annotations

import asyncio
import logging
import random
import sqlite3

import asyncpg
import pytest
from aiogram.exceptions import TelegramBadRequest, TelegramNetworkError
from aiogram.methods import GetMe
from sqlalchemy import exc as sa_exc

from scheduler.resilience import (
    BACKOFF_CAP_SECONDS,
    GaveUp,
    Outage,
    cancel_and_wait,
    is_database_outage,
    is_lost_race,
    is_transient,
    summary,
)


def wrapped(orig: Exception, *, invalidated: bool = False) -> sa_exc.DBAPIError:
    """What SQLAlchemy raises for a driver error (statement and parameters included)."""
    return sa_exc.DBAPIError.instance(
        "SELECT * FROM people WHERE phone = ?",
        ("+8613800000000",),
        orig,
        sqlite3.Error,
        connection_invalidated=invalidated,
    )


@pytest.mark.parametrize(
    "error",
    [
        wrapped(sqlite3.OperationalError("database is locked")),
        wrapped(sqlite3.OperationalError("unable to open database file")),
        wrapped(sqlite3.InterfaceError("connection was closed"), invalidated=True),
        ConnectionRefusedError(111, "Connect call failed ('127.0.0.1', 5432)"),
        OSError(113, "No route to host"),
        sa_exc.TimeoutError("QueuePool limit reached"),
        TelegramNetworkError(GetMe(), "Request timeout error"),
    ],
)
def test_outages_are_transient(error: Exception) -> None:
    assert is_transient(error)


@pytest.mark.parametrize(
    "error",
    [
        wrapped(sqlite3.OperationalError("no such table: inbound_updates")),
        sa_exc.IntegrityError("INSERT", {}, Exception("UNIQUE constraint failed")),
        TelegramBadRequest(GetMe(), "Bad Request: chat not found"),
        ValueError("a bug"),
    ],
)
def test_faults_are_not(error: Exception) -> None:
    assert not is_transient(error)


@pytest.mark.parametrize(
    "error",
    [
        wrapped(asyncpg.exceptions.DeadlockDetectedError("deadlock detected")),
        wrapped(asyncpg.exceptions.SerializationError("could not serialize access")),
        wrapped(asyncpg.exceptions.LockNotAvailableError("could not obtain lock on row")),
    ],
)
def test_a_transaction_aborted_for_anothers_sake_lost_a_race(error: Exception) -> None:
    assert is_lost_race(error)
    assert is_transient(error)  # worth trying again, like an outage
    assert not is_database_outage(error)  # but the database is there: an update's own
    # attempt at it is counted (the worker tries it again at once)


def test_a_lost_race_is_logged_as_such(caplog: pytest.LogCaptureFixture) -> None:
    outage = Outage("OutboxSender", rng=random.Random(1))
    with caplog.at_level(logging.WARNING):
        outage.failed(wrapped(asyncpg.exceptions.DeadlockDetectedError("deadlock detected")))
    assert [r.getMessage() for r in caplog.records] == [
        "OutboxSender: a transaction lost a race with another "
        "(DeadlockDetectedError: deadlock detected); trying again"
    ]


@pytest.mark.parametrize(
    "error",
    [
        wrapped(sqlite3.OperationalError("database is locked")),
        wrapped(asyncpg.exceptions.UniqueViolationError("duplicate key")),
        ValueError("a bug"),
    ],
)
def test_other_errors_lost_no_race(error: Exception) -> None:
    assert not is_lost_race(error)


def test_a_network_error_is_not_taken_for_the_database() -> None:
    error = TelegramNetworkError(GetMe(), "Request timeout error")
    error.__cause__ = TimeoutError()
    assert not is_database_outage(error)


def test_the_summary_leaves_out_the_statement_and_its_parameters() -> None:
    text = summary(wrapped(sqlite3.OperationalError("database is locked")))
    assert text == "OperationalError: database is locked"


class Ticks:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_one_line_when_an_outage_begins_and_one_when_it_ends(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger="scheduler.resilience")
    ticks = Ticks()
    outage = Outage("update worker", rng=random.Random(1), monotonic=ticks)
    error = wrapped(sqlite3.OperationalError("database is locked"))
    delays = []
    for _ in range(12):
        delays.append(outage.failed(error))
        ticks.now += delays[-1]
    outage.recovered()
    outage.recovered()  # nothing more to say

    lines = [r.getMessage() for r in caplog.records]
    assert len(lines) == 2
    assert lines[0].startswith("update worker: the database is unavailable")
    assert "+8613800000000" not in lines[0] and "SELECT" not in lines[0]
    assert lines[1].startswith("update worker: back to work after")
    # Exponential, jittered, bounded.
    assert delays[0] <= 0.5 and delays[3] > delays[0]
    assert all(d <= BACKOFF_CAP_SECONDS for d in delays)
    assert len({round(d, 6) for d in delays[-4:]}) == 4  # jitter: not in lockstep
    assert not outage.ongoing


def test_an_outage_longer_than_the_limit_gives_up() -> None:
    ticks = Ticks()
    outage = Outage("outbox sender", give_up_after=60, monotonic=ticks)
    error = ConnectionRefusedError(111, "refused")
    outage.failed(error)
    ticks.now = 59
    outage.failed(error)
    ticks.now = 61
    with pytest.raises(GaveUp):
        outage.failed(error)


async def _swallowing(swallow: list[int], ended: list[str]) -> None:
    """A loop that ignores its first ``swallow[0]`` cancellations, as a loop around Python
    3.11's ``asyncio.wait_for`` does when the awaited call finishes as it is cancelled."""
    while True:
        try:
            await asyncio.sleep(3600)
        except asyncio.CancelledError:
            swallow[0] -= 1
            if swallow[0] < 0:
                ended.append("ended")
                raise


async def test_a_task_that_swallows_a_cancellation_is_cancelled_again() -> None:
    ended: list[str] = []
    task = asyncio.create_task(_swallowing([2], ended))
    await asyncio.sleep(0)
    await cancel_and_wait([task], 5.0, "the loop")
    assert task.cancelled() and ended == ["ended"]


async def test_a_task_that_never_ends_does_not_hang_the_stop(caplog) -> None:
    ended: list[str] = []
    swallow = [10**9]
    task = asyncio.create_task(_swallowing(swallow, ended), name="stubborn")
    await asyncio.sleep(0)
    with caplog.at_level(logging.WARNING):
        await cancel_and_wait([task], 0.3, "the loop")
    assert not task.done() and not ended
    assert "the loop did not stop within 0.3s (stubborn)" in caplog.text
    swallow[0] = 0  # let it go
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task


async def test_tasks_already_ended_or_failed_are_fine() -> None:
    async def fail() -> None:
        raise RuntimeError("boom")

    failed = asyncio.create_task(fail())
    done = asyncio.create_task(asyncio.sleep(0))
    await asyncio.sleep(0.01)
    await cancel_and_wait([failed, done], 1.0, "the loops")
    assert failed.done() and done.done()
