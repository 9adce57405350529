"""SQLite: this process's writing transactions take turns for the one write lock, first
come first served (``storage.db.WriteTurns``), instead of polling for it in SQLite's busy
handler, which sleeps up to 100 ms between tries and lets any waiter win; the turn is
given back however the transaction ends (a cancelled statement too), a turn that stands
still is forfeit, and a read-only report never takes it."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from sqlalchemy import event, func, select, text, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from storage.db import create_engine, create_sessionmaker, write_turns
from storage.models import OrgUnit
from storage.read_only import read_only_session
from storage.write_turns import WriteTurns
from tests.conftest import eventually


@pytest.fixture
def turns(engine: AsyncEngine) -> WriteTurns:
    found = write_turns(engine)
    if found is None:
        pytest.skip("SQLite only: PostgreSQL has row locks, not one write lock")
    return found


async def _writer(
    sessionmaker: async_sessionmaker[AsyncSession],
    name: str,
    hold: asyncio.Event | None = None,
    wrote: asyncio.Event | None = None,
) -> None:
    async with sessionmaker() as session:
        connection = await session.connection(execution_options={"writer": name})
        await connection.execute(update(OrgUnit).values(name=OrgUnit.name))
        if wrote is not None:
            wrote.set()
        if hold is not None:
            await hold.wait()
        await session.commit()


async def test_writers_begin_in_the_order_they_asked(
    engine: AsyncEngine, sessionmaker: async_sessionmaker[AsyncSession], turns: WriteTurns, ctx
) -> None:
    began: list[str] = []

    def seen(conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        # Each writer's first statement: its BEGIN IMMEDIATE runs with it, in one trip.
        if statement.startswith("UPDATE"):
            began.append(conn.get_execution_options().get("writer", "?"))

    event.listen(engine.sync_engine, "after_cursor_execute", seen)
    release, wrote = asyncio.Event(), asyncio.Event()
    first = asyncio.create_task(_writer(sessionmaker, "first", release, wrote))
    await wrote.wait()
    assert turns.held
    others = []
    for name in ("second", "third", "fourth", "fifth"):
        others.append(asyncio.create_task(_writer(sessionmaker, name)))
        await asyncio.sleep(0.05)  # each asks after the one before it
    release.set()
    await asyncio.gather(first, *others)
    event.remove(engine.sync_engine, "after_cursor_execute", seen)
    assert began == ["first", "second", "third", "fourth", "fifth"]
    assert not turns.held


async def test_the_turn_is_given_back_on_rollback_and_on_a_failed_statement(
    sessionmaker: async_sessionmaker[AsyncSession], turns: WriteTurns, ctx
) -> None:
    async with sessionmaker() as session:
        await session.execute(update(OrgUnit).values(name=OrgUnit.name))
        assert turns.held
        await session.rollback()
    assert not turns.held
    with pytest.raises(IntegrityError):
        async with sessionmaker() as session, session.begin():
            await session.execute(text("INSERT INTO org_units (id) VALUES (NULL)"))
    assert not turns.held
    async with sessionmaker() as session:  # closed with its transaction open
        await session.execute(update(OrgUnit).values(name=OrgUnit.name))
    assert not turns.held
    await _writer(sessionmaker, "after")  # and the next one gets it
    assert not turns.held


async def test_a_report_takes_no_turn(
    sessionmaker: async_sessionmaker[AsyncSession], turns: WriteTurns, ctx
) -> None:
    async with read_only_session(sessionmaker) as reader:
        assert await reader.scalar(select(func.count()).select_from(OrgUnit))
        assert not turns.held
        await _writer(sessionmaker, "while a report reads")


async def test_a_statement_cancelled_mid_way_gives_the_turn_back(
    sessionmaker: async_sessionmaker[AsyncSession], turns: WriteTurns, ctx
) -> None:
    # Cancelled inside a statement, SQLAlchemy invalidates the connection (and clears
    # what it kept about it): the turn follows the connection, not that record. And
    # SQLite's own lock is freed once the statement ends (``storage.db``), not when the
    # garbage collector finalises the abandoned connection.
    started = asyncio.Event()

    async def long_write() -> None:
        async with sessionmaker() as session:
            await session.execute(update(OrgUnit).values(name=OrgUnit.name))
            started.set()
            await session.execute(
                text(
                    "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n"
                    " WHERE i < 3000000) SELECT count(*) FROM n"
                )
            )

    task = asyncio.create_task(long_write())
    await started.wait()
    await asyncio.sleep(0.05)
    assert turns.held
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    await eventually(lambda: not turns.held)
    # The statement runs on in aiosqlite's thread and keeps SQLite's own lock until it
    # ends; the next writer then goes on.
    async with asyncio.timeout(5):
        await _writer(sessionmaker, "after the cancelled one")
    assert turns.forfeits == 0


async def test_a_turn_that_stands_still_is_forfeit(database_url: str, ctx) -> None:
    # A holder that never gives the turn back (here: taken for a connection that then
    # goes away) delays the next writer by the patience (the busy timeout when that is
    # shorter), not for ever.
    engine = create_engine(database_url, busy_timeout=0.2)
    try:
        turns = write_turns(engine)
        if turns is None:
            pytest.skip("SQLite only")
        sessionmaker = create_sessionmaker(engine)
        async with sessionmaker() as session:  # a greenlet to take the turn from
            await session.run_sync(lambda _session: turns.take(object()))
        assert turns.held
        async with asyncio.timeout(5):
            await _writer(sessionmaker, "after a lost turn")
        assert turns.forfeits == 1 and not turns.held
    finally:
        await engine.dispose()
