"""The statistics read in a read-only session of their own: it never waits for an update's
write lock (SQLite: a deferred transaction, a WAL reader) and cannot write (PostgreSQL
refuses it)."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select, text, update
from sqlalchemy.exc import DBAPIError

from storage.models import OrgUnit
from storage.read_only import _begin_reading, read_only_session, read_only_sessions


async def test_a_report_reads_while_an_update_holds_the_write_lock(sessionmaker, ctx) -> None:
    async with sessionmaker() as writer, writer.begin():
        await writer.execute(update(OrgUnit).values(name=OrgUnit.name))  # the write lock
        async with read_only_session(sessionmaker) as reader:
            units = await reader.scalar(select(func.count()).select_from(OrgUnit))
    assert units and units > 0


async def test_on_postgresql_the_report_session_cannot_write(sessionmaker, ctx) -> None:
    async with read_only_session(sessionmaker) as reader:
        if reader.bind.dialect.name != "postgresql":
            pytest.skip("PostgreSQL enforces READ ONLY; SQLite readers simply never write")
        with pytest.raises(DBAPIError):
            await reader.execute(text("UPDATE org_units SET name = name"))


async def test_other_sessions_still_begin_as_before(sessionmaker) -> None:
    async with read_only_session(sessionmaker):
        pass
    async with sessionmaker() as session, session.begin():
        assert await session.scalar(text("SELECT 1")) == 1


async def test_sessions_read_side_by_side_see_the_same_data(sessionmaker, ctx) -> None:
    """A report's halves, read in two sessions at once, add up: a write committed once
    they are open shows in neither."""
    async with read_only_sessions(sessionmaker, 2) as (first, second):
        async with sessionmaker() as writer, writer.begin():
            await writer.execute(update(OrgUnit).values(name=OrgUnit.name + "*"))
        counts = [await _renamed(reader) for reader in (first, second)]
    async with sessionmaker() as session:
        assert counts == [0, 0] and await _renamed(session) > 0


async def test_on_postgresql_the_second_session_reads_the_first_ones_snapshot(
    sessionmaker, ctx
) -> None:
    """Even a write committed between the two sessions' starts shows in neither: the
    second imports the snapshot the first exported."""
    async with sessionmaker() as first, sessionmaker() as second:
        if first.bind.dialect.name != "postgresql":
            pytest.skip("PostgreSQL only: SQLite readers take their snapshots one by one")
        snapshot = await _begin_reading(first, None, shared=True)
        async with sessionmaker() as writer, writer.begin():
            await writer.execute(update(OrgUnit).values(name=OrgUnit.name + "*"))
        await _begin_reading(second, snapshot, shared=True)
        counts = [await _renamed(reader) for reader in (first, second)]
        with pytest.raises(DBAPIError):  # and it is read-only too
            await second.execute(text("UPDATE org_units SET name = name"))
    async with sessionmaker() as session:
        assert counts == [0, 0] and await _renamed(session) > 0


async def test_a_snapshot_id_is_never_spliced_into_sql_unchecked(sessionmaker) -> None:
    async with sessionmaker() as session:
        if session.bind.dialect.name != "postgresql":
            pytest.skip("PostgreSQL only")
        with pytest.raises(ValueError, match="not a snapshot id"):
            await _begin_reading(session, "1'; DROP TABLE people; --", shared=True)


async def _renamed(session) -> int:
    return await session.scalar(select(func.count()).where(OrgUnit.name.like("%*"))) or 0
