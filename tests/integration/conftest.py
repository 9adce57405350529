"""Fixtures shared by the integration tests."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.app.context import Context
from bot.clock import ManualClock
from bot.config.orgfile import load_organisation
from tests.integration.stats_fixtures import World, build_world
from tests.integration.ticket_fixtures import setup_org


@pytest.fixture
async def ctx(
    sessionmaker: async_sessionmaker[AsyncSession], clock: ManualClock, org_file: Path
) -> Context:
    """The test organisation written to the database, and a context at the clock's time."""
    org = load_organisation(org_file)
    async with sessionmaker() as session, session.begin():
        await setup_org(session, org, clock.now())
    return Context(org=org, now=clock.now())


@pytest.fixture
async def world(sessionmaker: async_sessionmaker[AsyncSession], org_file: Path) -> World:
    """The hand-computed statistics world of stats_fixtures, written to the database."""
    org = load_organisation(org_file)
    async with sessionmaker() as session, session.begin():
        return await build_world(session, org)
