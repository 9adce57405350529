"""SQLite statements make one trip to the connection's thread each, and behave as they
did through aiosqlite's own cursors (rows, row counts, RETURNING, many rows, errors).

SQLite only: each test opens its own database file, whichever database the suite runs on.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import aiosqlite
import pytest
from sqlalchemy import Column, Integer, MetaData, String, Table, insert, select, text, update
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.ext.asyncio import AsyncEngine

from storage import sqlite_one_hop
from storage.db import create_engine, write_turns

_META = MetaData()
_NOTES = Table(
    "notes",
    _META,
    Column("id", Integer, primary_key=True),
    Column("body", String(40), unique=True),
)


@pytest.fixture
async def engine(tmp_path: Path):
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'one_hop.sqlite3'}")
    async with engine.begin() as connection:
        await connection.run_sync(_META.create_all)
    yield engine
    await engine.dispose()


@pytest.fixture
def trips(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The calls queued for connections' threads, by the name of the function run there."""
    made: list[str] = []
    real = aiosqlite.Connection._execute

    async def counted(self, fn, *args, **kwargs):
        made.append(getattr(fn, "__name__", repr(fn)))
        return await real(self, fn, *args, **kwargs)

    monkeypatch.setattr(aiosqlite.Connection, "_execute", counted)
    return made


async def _trips_for(engine: AsyncEngine, trips: list[str], statements: int) -> int:
    async with engine.connect() as connection:  # opened before counting
        await connection.execute(text("SELECT 1"))
        await connection.commit()
        trips.clear()
        for _ in range(statements):
            await connection.execute(select(_NOTES.c.id))
        await connection.commit()
    return len(trips)


async def test_each_statement_is_one_trip_to_the_thread(engine, trips) -> None:
    async with engine.connect() as connection:
        raw = await connection.get_raw_connection()
        assert isinstance(raw.driver_connection, sqlite_one_hop.OneHopConnection)
    one = await _trips_for(engine, trips, 1)
    five = await _trips_for(engine, trips, 5)
    assert five - one == 4  # aiosqlite's own cursors: four trips a statement
    assert one == 2, trips  # BEGIN with the statement, COMMIT (no ROLLBACK after it)


async def test_rows_counts_returning_and_many_rows(engine) -> None:
    async with engine.begin() as connection:
        inserted = await connection.execute(insert(_NOTES).values(body="first"))
        assert inserted.inserted_primary_key == (1,)
        await connection.execute(insert(_NOTES), [{"body": f"n{i}"} for i in range(5)])
        changed = await connection.execute(
            update(_NOTES).where(_NOTES.c.body.like("n%")).values(body=_NOTES.c.body + "!")
        )
        assert changed.rowcount == 5
        returned = await connection.execute(
            update(_NOTES)
            .where(_NOTES.c.id <= 2)
            .values(body=_NOTES.c.body + "?")
            .returning(_NOTES.c.id, _NOTES.c.body)
        )
        assert sorted(returned.all()) == [(1, "first?"), (2, "n0!?")]
        rows = (await connection.execute(select(_NOTES).order_by(_NOTES.c.id))).all()
        assert [r.body for r in rows] == ["first?", "n0!?", "n1!", "n2!", "n3!", "n4!"]
        first = (await connection.execute(select(_NOTES.c.body).order_by(_NOTES.c.id))).first()
        assert first == ("first?",)
        none = await connection.execute(select(_NOTES).where(_NOTES.c.id == 99))
        assert none.first() is None


async def test_errors_come_through_as_before(engine) -> None:
    async with engine.connect() as connection:
        await connection.execute(insert(_NOTES).values(body="once"))
        with pytest.raises(IntegrityError):
            await connection.execute(insert(_NOTES).values(body="once"))
        await connection.rollback()
        with pytest.raises(OperationalError, match="no such table"):
            await connection.execute(text("SELECT * FROM nowhere"))
        await connection.rollback()
        assert (await connection.execute(select(_NOTES))).all() == []


async def test_without_aiosqlite_internals_the_engine_keeps_its_cursors(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sqlite_one_hop, "SUPPORTED", False)
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'stock.sqlite3'}")
    try:
        async with engine.connect() as connection:
            raw = await connection.get_raw_connection()
            assert type(raw.driver_connection) is aiosqlite.Connection
            assert (await connection.execute(text("SELECT 41 + 1"))).scalar() == 42
    finally:
        await engine.dispose()


async def test_a_connection_given_back_mid_transaction_is_rolled_back(engine, trips) -> None:
    async with engine.connect() as connection:
        await connection.execute(insert(_NOTES).values(body="never committed"))
        trips.clear()
    assert trips == ["rollback"]  # the pool's reset: the write lock is let go
    async with engine.begin() as connection:  # another writer gets the lock at once
        await connection.execute(insert(_NOTES).values(body="committed"))
    async with engine.connect() as connection:
        bodies = (await connection.execute(select(_NOTES.c.body))).scalars().all()
    assert bodies == ["committed"]


async def test_the_write_turn_passes_on_once_the_commit_is_done(
    engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given back before the COMMIT had run, the next writer's BEGIN IMMEDIATE met the
    # lock still held and slept in SQLite's busy handler.
    turns = write_turns(engine)
    assert turns is not None
    held_while_committing: list[bool] = []
    real = aiosqlite.Connection.commit

    async def commit(self) -> None:
        held_while_committing.append(turns.held)
        await real(self)

    monkeypatch.setattr(aiosqlite.Connection, "commit", commit)
    async with engine.begin() as connection:
        await connection.execute(insert(_NOTES).values(body="x"))
        assert turns.held
    assert held_while_committing == [True]
    assert not turns.held


async def test_a_transaction_that_runs_nothing_never_reaches_sqlite(engine, trips) -> None:
    turns = write_turns(engine)
    assert turns is not None
    async with engine.connect() as connection:  # opened before counting
        await connection.execute(text("SELECT 1"))
        await connection.commit()
        trips.clear()
        await connection.begin()
        assert turns.held  # the turn is taken at the begin, as before
        await connection.commit()
        assert not turns.held
        await connection.begin()
        await connection.rollback()
        raw = await connection.get_raw_connection()
        assert not raw.driver_connection._conn.in_transaction
    assert trips == []  # no BEGIN, no COMMIT, no ROLLBACK


async def test_a_begin_that_cannot_take_the_lock_fails_its_first_statement(
    tmp_path: Path,
) -> None:
    # The BEGIN IMMEDIATE goes with the first statement: when another process holds the
    # database, that statement fails after the busy timeout, nothing of it is stored, the
    # turn is given back, and the next transaction goes on once the lock is free.
    path = tmp_path / "held.sqlite3"
    engine = create_engine(f"sqlite+aiosqlite:///{path}", busy_timeout=0.05)
    holder = sqlite3.connect(path, isolation_level=None)
    try:
        async with engine.begin() as connection:
            await connection.run_sync(_META.create_all)
        holder.execute("BEGIN EXCLUSIVE")
        with pytest.raises(OperationalError, match="locked"):
            async with engine.begin() as connection:
                await connection.execute(insert(_NOTES).values(body="blocked"))
        turns = write_turns(engine)
        assert turns is not None and not turns.held
        holder.execute("ROLLBACK")
        async with engine.begin() as connection:
            await connection.execute(insert(_NOTES).values(body="later"))
        async with engine.connect() as connection:
            bodies = (await connection.execute(select(_NOTES.c.body))).scalars().all()
        assert bodies == ["later"]
    finally:
        holder.close()
        await engine.dispose()


async def test_a_failing_first_statement_leaves_its_transaction_to_roll_back(engine) -> None:
    async with engine.begin() as connection:
        await connection.execute(insert(_NOTES).values(body="taken"))
    with pytest.raises(IntegrityError):
        async with engine.begin() as connection:  # BEGIN ran; the INSERT failed
            await connection.execute(insert(_NOTES).values(body="taken"))
    async with engine.begin() as connection:
        await connection.execute(insert(_NOTES).values(body="next"))
    async with engine.connect() as connection:
        bodies = (await connection.execute(select(_NOTES.c.body))).scalars().all()
    assert sorted(bodies) == ["next", "taken"]
