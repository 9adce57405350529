"""A benchmark run killed before its end leaves its PostgreSQL database behind; the next
run drops it (``bench.postgres.drop_abandoned``), and only those of runs that are gone."""

from __future__ import annotations

import os

import pytest
from sqlalchemy import make_url, text

from bench.postgres import drop_abandoned, drop_postgres, ensure_postgres_database
from storage.db import create_engine
from tests.db import ON_POSTGRES, POSTGRES_URL

PREFIX = "rsb_test_abandoned_"
GONE = 99_999_999  # above Linux's largest process id: no such process


async def _names(url: str) -> set[str]:
    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    try:
        async with engine.connect() as connection:
            found = await connection.scalars(
                text("SELECT datname FROM pg_database WHERE starts_with(datname, :p)"),
                {"p": PREFIX},
            )
            return set(found)
    finally:
        await engine.dispose()


@pytest.mark.skipif(not ON_POSTGRES, reason="PostgreSQL databases")
async def test_the_databases_of_runs_that_are_gone_are_dropped() -> None:
    server = make_url(POSTGRES_URL)
    gone = server.set(database=f"{PREFIX}{GONE}").render_as_string(hide_password=False)
    ours = server.set(database=f"{PREFIX}{os.getpid()}").render_as_string(hide_password=False)
    await ensure_postgres_database(gone)
    await ensure_postgres_database(ours)
    try:
        assert await drop_abandoned(ours, PREFIX) == [f"{PREFIX}{GONE}"]
        assert await _names(POSTGRES_URL) == {f"{PREFIX}{os.getpid()}"}  # a live run's stays
    finally:
        await drop_postgres(gone)
        await drop_postgres(ours)
