"""Two instances started at the same moment on a database nobody has set up yet: the
migrations and the organisation file's sync take turns (a PostgreSQL advisory lock),
so both start, one leads, and the directory is synced once (not a unique violation on
the second instance's sync)."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import func, select

from scheduler.leadership import InstanceRole
from storage.models import OrgUnit
from tests.db import ON_POSTGRES
from tests.e2e.conftest import AppFactory

pytestmark = pytest.mark.skipif(
    not ON_POSTGRES, reason="several instances share a PostgreSQL database only"
)


async def test_two_instances_starting_at_once_on_an_empty_database_both_start(
    start_app: AppFactory,
) -> None:
    first, second = await asyncio.gather(start_app(), start_app())
    assert {first.role, second.role} == {InstanceRole.LEADER, InstanceRole.STANDBY}
    async with first.sessionmaker() as session:
        keys = (await session.scalars(select(OrgUnit.key))).all()
        assert len(keys) == len(set(keys)) > 0
        assert await session.scalar(select(func.count()).select_from(OrgUnit)) == len(keys)
