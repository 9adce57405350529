"""The statistics read in a read-only session of their own: it never waits for an update's
write lock (SQLite: a deferred transaction, a WAL reader) and cannot write (PostgreSQL
refuses it)."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select, text, update
from sqlalchemy.exc import DBAPIError

from storage.models import OrgUnit
from storage.read_only import read_only_session


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
