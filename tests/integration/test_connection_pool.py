"""The connection pool is sized by the settings, and a burst within its size opens no
connection twice (SQLAlchemy's default of 5 made a busy worker open and close them all
the time: ``storage.db.PoolSize``)."""

from __future__ import annotations

import asyncio
from typing import Any

from sqlalchemy import event, text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from sqlalchemy.pool import StaticPool

from storage.db import PoolSize, create_engine, create_sessionmaker, deferred_transactions

ROUNDS = 5


async def _burst(sessionmaker: async_sessionmaker[AsyncSession], at_once: int) -> None:
    """``at_once`` transactions that all hold their connection at the same moment."""
    everyone_holds = asyncio.Barrier(at_once)

    async def one() -> None:
        # Deferred: SQLite's readers hold their connections side by side (a write
        # transaction would wait for the one before it to end).
        with deferred_transactions():
            async with sessionmaker() as session, session.begin():
                await session.execute(text("SELECT 1"))
                await everyone_holds.wait()

    await asyncio.gather(*(one() for _ in range(at_once)))


async def _bursts(engine: AsyncEngine, at_once: int) -> int:
    """``ROUNDS`` bursts of ``at_once``; returns how many connections were opened."""
    opened = 0

    def _opened(*_args: Any) -> None:
        nonlocal opened
        opened += 1

    event.listen(engine.sync_engine.pool, "connect", _opened)
    sessionmaker = create_sessionmaker(engine)
    for _ in range(ROUNDS):
        await _burst(sessionmaker, at_once)
    return opened


async def test_a_burst_within_the_pool_size_opens_each_connection_once(
    database_url: str,
) -> None:
    engine = create_engine(database_url, pool=PoolSize(size=6, overflow=4))
    try:
        assert await _bursts(engine, at_once=6) == 6
    finally:
        await engine.dispose()


async def test_a_burst_past_the_pool_size_opens_the_overflow_again_every_time(
    database_url: str,
) -> None:
    # What the setting is for: connections past the size are closed when given back.
    engine = create_engine(database_url, pool=PoolSize(size=2, overflow=4))
    try:
        assert await _bursts(engine, at_once=6) == 2 + 4 * ROUNDS
    finally:
        await engine.dispose()


async def test_after_a_burst_one_warm_connection_serves_what_comes_one_at_a_time(
    database_url: str,
) -> None:
    """The pool hands out the connection given back last: quiet times keep reusing one
    (its prepared statements and page cache warm) instead of cycling through all."""
    engine = create_engine(database_url, pool=PoolSize(size=6, overflow=4))
    used: list[int] = []

    def _out(dbapi_connection: Any, *_args: Any) -> None:
        used.append(id(dbapi_connection))

    try:
        await _bursts(engine, at_once=4)  # four connections are open and back in the pool
        event.listen(engine.sync_engine.pool, "checkout", _out)
        sessionmaker = create_sessionmaker(engine)
        for _ in range(5):
            async with sessionmaker() as session, session.begin():
                await session.execute(text("SELECT 1"))
        assert len(used) == 5 and len(set(used)) == 1
    finally:
        await engine.dispose()


async def test_a_database_in_memory_has_one_connection_and_no_pool_to_size() -> None:
    engine = create_engine("sqlite+aiosqlite://", pool=PoolSize(size=6, overflow=4))
    try:
        assert isinstance(engine.pool, StaticPool)
        async with engine.connect() as connection:
            assert (await connection.execute(text("SELECT 1"))).scalar() == 1
    finally:
        await engine.dispose()
