"""What every ``resident-bot`` sub-command needs: settings, the organisation file, a database."""

from __future__ import annotations

import argparse
import sys
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.config.settings import Settings

if TYPE_CHECKING:
    from bot.config.orgfile import Organisation


def load_settings() -> Settings:
    """Settings from the environment; an invalid value ends the command with exit code 2."""
    try:
        return Settings()
    except ValidationError as error:
        print(f"Invalid settings:\n{error}", file=sys.stderr)
        raise SystemExit(2) from None


def encryption_keys(settings: Settings) -> list[str] | None:
    """The personal-data encryption keys; ``None``, the reason printed, without them."""
    from bot.app.encryption_keys import load_keys

    try:
        return load_keys(settings)
    except Exception as error:
        print(f"Cannot set up personal-data encryption: {error}", file=sys.stderr)
        return None


def report_problems(path: Path) -> int:
    """Print every problem of the organisation file; 1 if there are any, else 0."""
    from bot.config.orgfile import check_organisation

    problems = check_organisation(path)
    for problem in problems:
        print(problem, file=sys.stderr)
    if problems:
        print(f"{path}: {len(problems)} problem(s) found", file=sys.stderr)
        return 1
    return 0


def checked_organisation(path: Path) -> Organisation | None:
    """The organisation file, loaded; ``None`` (its problems printed) when it has any."""
    from bot.config.orgfile import load_organisation

    if report_problems(path):
        return None
    return load_organisation(path)


def settings_and_organisation(file: Path | None = None) -> tuple[Settings, Organisation] | None:
    """The settings, and the organisation file (``file``, else the configured one) checked
    and loaded; ``None`` (its problems printed) when it has any."""
    settings = load_settings()
    org = checked_organisation(file or settings.bot_config)
    return None if org is None else (settings, org)


def with_organisation(
    run: Callable[[argparse.Namespace, Settings, Organisation], int],
) -> Callable[[argparse.Namespace], int]:
    """A sub-command that needs the settings and the organisation file (its ``--file``
    option if it has one, else the configured file): it ends with exit code 1, the file's
    problems printed, when the file has any."""

    def command(args: argparse.Namespace) -> int:
        loaded = settings_and_organisation(getattr(args, "file", None))
        if loaded is None:
            return 1
        settings, org = loaded
        return run(args, settings, org)

    return command


@asynccontextmanager
async def migrated_database(settings: Settings) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    """Sessions on an up-to-date database; the engine is disposed afterwards."""
    from storage.db import create_engine, create_sessionmaker
    from storage.migrate import upgrade

    engine = create_engine(settings.database_url)
    try:
        await upgrade(engine)
        yield create_sessionmaker(engine)
    finally:
        await engine.dispose()


@asynccontextmanager
async def migrated_session(settings: Settings) -> AsyncIterator[AsyncSession]:
    """One transaction on an up-to-date database."""
    async with migrated_database(settings) as sessionmaker:
        async with sessionmaker() as session, session.begin():
            yield session
