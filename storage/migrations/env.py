"""Alembic environment.

Used two ways: programmatically by :func:`storage.migrate.upgrade` (which hands
over an open connection), and by developers running ``alembic`` directly
(``alembic -c storage/alembic.ini revision --autogenerate -m "..."``), which
reads DATABASE_URL from the settings.
"""

from __future__ import annotations

import asyncio

from alembic import context
from sqlalchemy.engine import Connection

from storage.models import Base

target_metadata = Base.metadata


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


async def _run_with_own_engine() -> None:
    from bot.config.settings import Settings
    from storage.db import create_engine

    engine = create_engine(Settings().database_url)
    try:
        async with engine.begin() as connection:
            await connection.run_sync(_run)
    finally:
        await engine.dispose()


if context.is_offline_mode():
    raise SystemExit("offline migrations are not supported; run against a database")

provided = context.config.attributes.get("connection")
if provided is not None:
    _run(provided)
else:
    asyncio.run(_run_with_own_engine())
