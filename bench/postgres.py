"""PostgreSQL set-up shared by the benchmarks: a database made afresh for each run."""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.engine import make_url

from storage.db import create_engine


async def recreate_postgres(url: str) -> None:
    """Drop the database ``url`` names (closing its connections) and create it empty."""
    target = make_url(url)
    admin = target.set(database="postgres").render_as_string(hide_password=False)
    engine = create_engine(admin, isolation_level="AUTOCOMMIT")
    try:
        async with engine.connect() as connection:
            await connection.execute(
                text(f'DROP DATABASE IF EXISTS "{target.database}" WITH (FORCE)')
            )
            await connection.execute(text(f'CREATE DATABASE "{target.database}"'))
    finally:
        await engine.dispose()
