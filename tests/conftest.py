"""Fixtures shared by every kind of test."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bot.clock import ManualClock
from storage.crypto import configure_cipher
from storage.db import create_engine, create_sessionmaker
from tests.db import ON_POSTGRES, TestDatabase

FIXTURES = Path(__file__).parent / "fixtures"


def pytest_report_header(config: pytest.Config) -> str:
    return f"database: {'PostgreSQL (TEST_POSTGRES_URL)' if ON_POSTGRES else 'SQLite'}"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    skip = pytest.mark.skip(reason="needs PostgreSQL: set TEST_POSTGRES_URL")
    for item in items:
        if "postgres" in item.keywords and not ON_POSTGRES:
            item.add_marker(skip)


TEST_ENCRYPTION_KEY = "Zm9yLXRlc3RzLW9ubHktMzItYnl0ZXMtbG9uZy1rZXk="


@pytest.fixture(scope="session", autouse=True)
def personal_data_cipher() -> None:
    configure_cipher([TEST_ENCRYPTION_KEY])


@pytest.fixture(scope="session")
def test_database(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestDatabase]:
    database = TestDatabase(tmp_path_factory.mktemp("db"))
    database.create()
    yield database
    database.drop()


@pytest.fixture
def database_url(test_database: TestDatabase, tmp_path: Path) -> str:
    return test_database.fresh_url(tmp_path)


@pytest.fixture
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(database_url)
    yield engine
    await engine.dispose()


@pytest.fixture
def sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return create_sessionmaker(engine)


@pytest.fixture
async def session(sessionmaker: async_sessionmaker[AsyncSession]) -> AsyncIterator[AsyncSession]:
    async with sessionmaker() as session:
        yield session


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(datetime(2026, 11, 2, 1, 0, tzinfo=UTC))  # 09:00 in Shanghai, a Monday


@pytest.fixture
def org_file() -> Path:
    return FIXTURES / "organisation.toml"


async def eventually(predicate, timeout: float = 5.0, interval: float = 0.02):
    """Poll ``predicate`` (sync or async) until it returns something truthy."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        value = predicate()
        if asyncio.iscoroutine(value):
            value = await value
        if value:
            return value
        if loop.time() > deadline:
            raise AssertionError(f"condition not met within {timeout}s")
        await asyncio.sleep(interval)
