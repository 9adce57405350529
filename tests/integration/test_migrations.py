"""The Alembic migrations build exactly the schema the models describe."""

from __future__ import annotations

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from storage.migrate import HEAD_REVISION, alembic_config, current_revision, head_revision, upgrade
from storage.models import Base


async def test_database_is_at_head_and_matches_models(engine) -> None:
    assert await current_revision(engine) == head_revision()

    def diff(connection):
        return compare_metadata(MigrationContext.configure(connection), Base.metadata)

    async with engine.connect() as connection:
        differences = await connection.run_sync(diff)
    assert differences == []


async def test_upgrade_twice_is_harmless(engine) -> None:
    await upgrade(engine)
    await upgrade(engine)
    assert await current_revision(engine) == head_revision()


def test_the_head_revision_constant_is_the_newest_script() -> None:
    assert HEAD_REVISION == head_revision()


async def test_a_database_at_head_is_recognised_without_running_alembic(
    engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    def refuse(*_args, **_kwargs) -> None:
        raise AssertionError("alembic ran for a database already at head")

    monkeypatch.setattr(command, "upgrade", refuse)
    await upgrade(engine)  # at head already (the fixture migrated it)


async def test_a_database_behind_head_is_upgraded(engine) -> None:
    def back_to_0002(connection) -> None:
        config = alembic_config()
        config.attributes["connection"] = connection
        command.downgrade(config, "0002")

    async with engine.begin() as connection:
        await connection.run_sync(back_to_0002)
    assert await current_revision(engine) == "0002"
    await upgrade(engine)
    assert await current_revision(engine) == HEAD_REVISION
