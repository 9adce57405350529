"""The bot's connection pool is the one the settings ask for (``storage.db.PoolSize``)."""

from __future__ import annotations

from tests.e2e.conftest import AppFactory


async def test_the_running_bot_keeps_as_many_connections_as_the_settings_say(
    start_app: AppFactory,
) -> None:
    app = await start_app(database_pool_size=7, database_max_overflow=3)
    pool = app.deps.sessionmaker.kw["bind"].pool
    assert pool.size() == 7
    assert pool._max_overflow == 3  # no public accessor for the overflow's limit


async def test_the_worker_opens_no_more_update_transactions_than_the_pool_keeps(
    start_app: AppFactory,
) -> None:
    """Past the pool, each update's transaction would open a connection of its own."""
    app = await start_app(database_pool_size=7, database_max_overflow=3)
    assert app.worker.max_concurrent_transactions == 7
