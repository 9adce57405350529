"""PostgreSQL set-up shared by the benchmarks: a database made afresh for each run, made
if missing, or dropped at the end; and the databases of runs that were killed before
their end, dropped by the next run."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.db import create_engine


@asynccontextmanager
async def _on_the_server(url: str) -> AsyncIterator[tuple[AsyncConnection, str]]:
    """An autocommit connection to the server's ``postgres`` database (where databases
    are created and dropped) and the name of the database ``url`` names."""
    target = make_url(url)
    admin = target.set(database="postgres").render_as_string(hide_password=False)
    engine = create_engine(admin, isolation_level="AUTOCOMMIT")
    try:
        async with engine.connect() as connection:
            yield connection, str(target.database)
    finally:
        await engine.dispose()


async def drop_postgres(url: str) -> None:
    """Drop the database ``url`` names, closing its connections (if it is there)."""
    async with _on_the_server(url) as (connection, name):
        await connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


async def ensure_postgres_database(url: str) -> None:
    """Create the database ``url`` names unless it is there (what it holds is kept)."""
    async with _on_the_server(url) as (connection, name):
        exists = await connection.scalar(
            text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": name}
        )
        if not exists:
            await connection.execute(text(f'CREATE DATABASE "{name}"'))


async def recreate_postgres(url: str) -> None:
    """Drop the database ``url`` names (closing its connections) and create it empty."""
    await drop_postgres(url)
    async with _on_the_server(url) as (connection, name):
        await connection.execute(text(f'CREATE DATABASE "{name}"'))


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's process
    return True


async def drop_abandoned(url: str, prefix: str) -> list[str]:
    """Drop the databases named ``<prefix><pid>`` on ``url``'s server whose process is
    gone (a run killed before it could drop its own); their names."""
    async with _on_the_server(url) as (connection, _):
        names = await connection.scalars(
            text("SELECT datname FROM pg_database WHERE starts_with(datname, :prefix)"),
            {"prefix": prefix},
        )
        abandoned = [
            name
            for name in names
            if name.removeprefix(prefix).isdigit() and not _running(int(name.removeprefix(prefix)))
        ]
        for name in abandoned:
            await connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    return abandoned
