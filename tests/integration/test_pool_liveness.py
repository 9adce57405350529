"""A pooled connection is pinged before use only when it has sat idle
(``storage/pool_liveness.py``): a busy bot no longer pays a round trip per checkout, and
a connection the server dropped while idle is still replaced before anyone sees it."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import event, exc, make_url, text
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from storage import pool_liveness
from storage.db import PoolSize, create_engine
from tests.db import ON_POSTGRES
from tests.e2e.tcp_proxy import TcpProxy

on_postgres = pytest.mark.skipif(not ON_POSTGRES, reason="a server that can go away")


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def count_pings(engine: AsyncEngine) -> list[int]:
    pings = [0]
    ping = engine.dialect.do_ping

    def counted(dbapi_connection: Any) -> bool:
        pings[0] += 1
        return ping(dbapi_connection)

    engine.dialect.do_ping = counted  # type: ignore[method-assign]
    return pings


def count_connects(engine: AsyncEngine) -> list[int]:
    opened = [0]

    def _opened(*_args: Any) -> None:
        opened[0] += 1

    event.listen(engine.sync_engine.pool, "connect", _opened)
    return opened


async def one_statement(engine: AsyncEngine) -> None:
    async with engine.connect() as connection:
        assert (await connection.execute(text("SELECT 1"))).scalar() == 1


async def test_only_a_connection_idle_for_the_window_is_pinged(database_url: str) -> None:
    clock = Clock()
    engine = create_async_engine(database_url, pool_size=1, max_overflow=0)
    pool_liveness.install(engine, idle_after=1.0, clock=clock)
    pings, opened = count_pings(engine), count_connects(engine)
    try:
        await one_statement(engine)  # a new connection: known good
        clock.now += 0.5
        await one_statement(engine)  # given back half a second ago
        assert (opened[0], pings[0]) == (1, 0)

        clock.now += 1.0
        await one_statement(engine)  # idle for a second: pinged
        await one_statement(engine)  # and just given back again
        assert (opened[0], pings[0]) == (1, 1)
    finally:
        await engine.dispose()


async def through(proxy: TcpProxy, database_url: str) -> str:
    url = make_url(database_url)
    await proxy.start()
    return url.set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False)


def server_proxy(database_url: str) -> TcpProxy:
    url = make_url(database_url)
    return TcpProxy(url.host or "127.0.0.1", url.port or 5432)


@on_postgres
async def test_a_connection_the_server_dropped_while_idle_is_replaced_unseen(
    database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(pool_liveness, "IDLE_PING_AFTER", 0.0)  # every reuse counts as idle
    proxy = server_proxy(database_url)
    engine = create_engine(await through(proxy, database_url), pool=PoolSize(1, 0))
    opened = count_connects(engine)
    try:
        await one_statement(engine)
        await proxy.cut()  # as a server restart does
        await proxy.restore()
        await one_statement(engine)  # the ping found it dead: a fresh one, no error
        assert opened[0] == 2
    finally:
        await engine.dispose()
        await proxy.stop()


@on_postgres
async def test_a_connection_dropped_while_busy_fails_once_and_the_pool_starts_afresh(
    database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Within the window nothing is pinged: the first statement on the dead connection
    fails (the inbox runs that update again), and the next gets a new connection."""
    monkeypatch.setattr(pool_liveness, "IDLE_PING_AFTER", 3600.0)
    proxy = server_proxy(database_url)
    engine = create_engine(await through(proxy, database_url), pool=PoolSize(1, 0))
    opened = count_connects(engine)
    try:
        await one_statement(engine)
        await proxy.cut()
        await proxy.restore()
        with pytest.raises(exc.DBAPIError) as failed:
            await one_statement(engine)
        assert failed.value.connection_invalidated
        await one_statement(engine)
        assert opened[0] == 2
    finally:
        await engine.dispose()
        await proxy.stop()
