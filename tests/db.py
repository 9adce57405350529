"""Test databases: SQLite by default, PostgreSQL when TEST_POSTGRES_URL is set.

The schema is migrated once per test session (the real Alembic migrations, so
they are tested too); each test then starts from empty tables: a copy of the
migrated SQLite file, or the PostgreSQL tables truncated.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import uuid
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from sqlalchemy import Executable, text
from sqlalchemy.engine import make_url

from storage.db import create_engine, create_sessionmaker
from storage.migrate import upgrade
from storage.models import Base

POSTGRES_URL = os.environ.get("TEST_POSTGRES_URL", "").strip()
ON_POSTGRES = bool(POSTGRES_URL)


async def _migrate(url: str) -> None:
    engine = create_engine(url)
    try:
        await upgrade(engine)
    finally:
        await engine.dispose()


async def _admin_execute(statement: str) -> None:
    admin_url = make_url(POSTGRES_URL).set(drivername="postgresql+asyncpg")
    engine = create_engine(
        admin_url.render_as_string(hide_password=False), isolation_level="AUTOCOMMIT"
    )
    try:
        async with engine.connect() as connection:
            await connection.execute(text(statement))
    finally:
        await engine.dispose()


async def read_all(database_url: str, query: Executable) -> Sequence[Any]:
    """The rows ``query`` selects, read through an engine of its own (the bot under test
    runs in another process, or has stopped)."""
    engine = create_engine(database_url)
    try:
        async with create_sessionmaker(engine)() as session:
            return (await session.scalars(query)).all()
    finally:
        await engine.dispose()


class TestDatabase:
    """One migrated database per test session, reset before each test."""

    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        if ON_POSTGRES:
            self.name = f"rsb_test_{uuid.uuid4().hex[:10]}"
            base = make_url(POSTGRES_URL).set(drivername="postgresql+asyncpg")
            self.url = base.set(database=self.name).render_as_string(hide_password=False)
        else:
            self.template = workdir / "template.sqlite3"
            self.url = f"sqlite+aiosqlite:///{self.template}"

    def create(self) -> None:
        if ON_POSTGRES:
            asyncio.run(_admin_execute(f'CREATE DATABASE "{self.name}"'))
        asyncio.run(_migrate(self.url))

    def drop(self) -> None:
        if ON_POSTGRES:
            asyncio.run(_admin_execute(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)'))

    def fresh_url(self, tmp_path: Path) -> str:
        """A database with the schema and no rows, for one test."""
        if ON_POSTGRES:
            tables = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables)
            asyncio.run(_truncate(self.url, tables))
            return self.url
        copy = tmp_path / "test.sqlite3"
        shutil.copyfile(self.template, copy)
        return f"sqlite+aiosqlite:///{copy}"


async def _truncate(url: str, tables: str) -> None:
    engine = create_engine(url)
    try:
        async with engine.begin() as connection:
            await connection.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    finally:
        await engine.dispose()
