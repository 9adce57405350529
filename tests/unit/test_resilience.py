"""Which errors are outages to wait out, and how a loop waits them out."""

from __future__ import annotations

import logging
import random
import sqlite3

import pytest
from aiogram.exceptions import TelegramBadRequest, TelegramNetworkError
from aiogram.methods import GetMe
from sqlalchemy import exc as sa_exc

from scheduler.resilience import (
    BACKOFF_CAP_SECONDS,
    GaveUp,
    Outage,
    is_database_outage,
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
