"""Work a handler starts after its update (``storage/on_commit.py``,
``handlers/background.py``) starts only once the update's transaction has committed, and
never for a try that rolled back: an update tried twice sends its report, its file or its
details once."""

from __future__ import annotations

import gc
import warnings
from typing import Any

import pytest
from aiogram import Bot, Dispatcher
from aiogram.types import Message
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bot.app.runtime import handling
from bot.clock import ManualClock
from handlers.background import in_background
from scheduler.in_hand import JobsInHand
from storage.db import create_sessionmaker, is_sqlite_url
from storage.models import OrgUnit
from storage.on_commit import on_commit
from tests.integration.test_inbox import private_update


class Deps:
    """The part of the application's ``deps`` that ``in_background`` uses."""

    def __init__(self, sessionmaker: async_sessionmaker[AsyncSession]) -> None:
        self.sessionmaker = sessionmaker
        self.in_hand = JobsInHand()

    async def work_done(self) -> None:
        """The tasks of ``in_background`` are kept from the commit on: wait for them."""
        assert len(self.in_hand) <= 1
        await self.in_hand.finish(grace=5)
        assert len(self.in_hand) == 0


class Hooks:
    def __init__(self) -> None:
        self.seen: list[str] = []

    def add(self, session: AsyncSession, name: str) -> None:
        on_commit(
            session,
            lambda: self.seen.append(f"start {name}"),
            lambda: self.seen.append(f"drop {name}"),
        )


async def test_started_after_the_commit_and_dropped_on_rollback(
    sessionmaker: async_sessionmaker[AsyncSession], ctx: Any
) -> None:
    hooks = Hooks()
    async with sessionmaker() as session:
        async with session.begin():
            await session.execute(update(OrgUnit).values(name=OrgUnit.name))
            hooks.add(session, "a")
            assert hooks.seen == []  # not before the commit
        assert hooks.seen == ["start a"]
        async with session.begin():
            hooks.add(session, "b")
            await session.rollback()
        with pytest.raises(RuntimeError):
            async with session.begin():
                hooks.add(session, "c")
                raise RuntimeError("the handler failed")
    assert hooks.seen == ["start a", "drop b", "drop c"]


async def test_a_savepoint_decides_nothing_and_a_closed_session_drops(
    sessionmaker: async_sessionmaker[AsyncSession], ctx: Any
) -> None:
    hooks = Hooks()
    async with sessionmaker() as session, session.begin():
        hooks.add(session, "outer")
        savepoint = await session.begin_nested()
        hooks.add(session, "inner")
        await savepoint.rollback()
        assert hooks.seen == []
    assert hooks.seen == ["start outer", "start inner"]
    async with sessionmaker() as session:
        await session.execute(select(OrgUnit.id))  # a transaction begun, never committed
        hooks.add(session, "unfinished")
    assert hooks.seen[-1] == "drop unfinished"


async def test_outside_a_transaction_it_starts_now(
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    hooks = Hooks()
    async with sessionmaker() as session:
        hooks.add(session, "now")
    assert hooks.seen == ["start now"]


async def test_background_work_of_a_rolled_back_try_is_closed_unrun(
    sessionmaker: async_sessionmaker[AsyncSession], ctx: Any
) -> None:
    ran: list[str] = []
    deps = Deps(sessionmaker)

    async def work(name: str) -> None:
        ran.append(name)

    with warnings.catch_warnings():
        warnings.simplefilter("error")  # "coroutine ... was never awaited" would be one
        async with sessionmaker() as session:
            async with session.begin():
                in_background(deps, session, work("rolled back"), "test-work")
                await session.rollback()
            async with session.begin():
                in_background(deps, session, work("committed"), "test-work")
        gc.collect()
    await deps.work_done()
    assert ran == ["committed"]


async def test_an_update_run_again_after_a_write_conflict_starts_its_work_once(
    engine: AsyncEngine,
    sessionmaker: async_sessionmaker[AsyncSession],
    clock: ManualClock,
    ctx: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """SQLite: the update's deferred transaction reads, another writer commits, its write
    fails and the update is run again with the lock taken at once. The handler asked for
    its background work on both tries; it runs once, after the try that committed."""
    if not is_sqlite_url(str(engine.url)):
        pytest.skip("SQLite only: PostgreSQL transactions are not run again on a conflict")
    monkeypatch.setattr(handling, "_conflicts", handling._Conflicts())  # deferred first
    other_writer = create_sessionmaker(engine)
    tries: list[str] = []
    ran: list[int] = []
    deps = Deps(sessionmaker)

    async def work(attempt: int) -> None:
        ran.append(attempt)

    dispatcher = Dispatcher()

    @dispatcher.message()
    async def handler(message: Message, session: AsyncSession) -> None:
        tries.append(message.text or "")
        await session.execute(select(OrgUnit.id))  # reads: the snapshot is taken
        in_background(deps, session, work(len(tries)), "test-work")
        if len(tries) == 1:  # another writer commits a change before this try's first write
            async with other_writer() as other, other.begin():
                await other.execute(update(OrgUnit).values(name=OrgUnit.name + "."))
        await session.execute(update(OrgUnit).values(name=OrgUnit.name))

    payload = private_update(
        1, 801, {"from": {"id": 801, "is_bot": False, "first_name": "Li"}, "text": "hi"}
    )
    bot = Bot("42:TEST")
    try:
        await handling.handle_update_once(
            dispatcher, bot, sessionmaker, clock, payload, from_inbox=False
        )
    finally:
        await bot.session.close()
    assert tries == ["hi", "hi"]  # the conflict happened: the update ran twice
    await deps.work_done()
    assert ran == [2]
