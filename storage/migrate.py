"""Apply Alembic migrations to the database the engine points at.

Alembic (11 MB and its migration scripts) is imported only when there is something to
do: a database already at :data:`HEAD_REVISION` is recognised by one plain query."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import text
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS_DIR = Path(__file__).parent / "migrations"
# The newest migration's revision (a test checks it against the scripts).
HEAD_REVISION = "0003"
# Any constant works; it only has to be the same in every instance of the bot.
_PG_MIGRATION_LOCK = 7_261_003


def alembic_config() -> Config:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    return config


def head_revision() -> str | None:
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(alembic_config()).get_current_head()


async def _stored_revision(engine: AsyncEngine) -> str | None:
    """The revision recorded in the database; None before the first migration."""
    try:
        async with engine.connect() as connection:
            return await connection.scalar(text("SELECT version_num FROM alembic_version"))
    except DBAPIError:
        return None  # no alembic_version table yet (or the database is away: upgrade says)


async def upgrade(engine: AsyncEngine, revision: str = "head") -> None:
    """Upgrade to ``revision``; safe when several instances start at once."""
    if revision == "head" and await _stored_revision(engine) == HEAD_REVISION:
        return

    def _upgrade(connection: Connection) -> None:
        from alembic import command

        if connection.dialect.name == "postgresql":
            # Serialise concurrent starts: the second instance waits, then finds nothing to do.
            connection.execute(
                text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PG_MIGRATION_LOCK}
            )
        config = alembic_config()
        config.attributes["connection"] = connection
        command.upgrade(config, revision)

    async with engine.begin() as connection:
        await connection.run_sync(_upgrade)


async def setting_up_alone(session: AsyncSession) -> None:
    """Within ``session``'s transaction, wait for any other instance setting up the same
    database (migrating, syncing the organisation file) to finish: PostgreSQL only."""
    if session.get_bind().dialect.name == "postgresql":
        await session.execute(
            text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PG_MIGRATION_LOCK}
        )


async def current_revision(engine: AsyncEngine) -> str | None:
    def _current(connection: Connection) -> str | None:
        from alembic.runtime.migration import MigrationContext

        return MigrationContext.configure(connection).get_current_revision()

    async with engine.connect() as connection:
        return await connection.run_sync(_current)
