"""The outbox sender is woken when a transaction that queued a message commits, and only
then (``storage.outbox_queue.wake_after_commit``): the worker used to wake it after every
update, which cost an empty look at the outbox every few updates, or a NOTIFY from a
standby instance."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.presentation import outbox
from storage import outbox_queue
from storage.db import create_sessionmaker
from storage.models import OutboxMessage, OutboxStatus


@pytest.fixture
def wakes(sessionmaker: async_sessionmaker[AsyncSession]) -> list[int]:
    woken = [0]

    def wake() -> None:
        woken[0] += 1

    outbox_queue.wake_after_commit(sessionmaker, wake)
    return woken


async def queue(session: AsyncSession, clock, chat_id: int = 7) -> None:
    await outbox.enqueue(
        session, chat_id=chat_id, method="sendMessage", payload={"text": "hi"}, now=clock.now()
    )


async def test_a_commit_that_queued_a_message_wakes_the_sender_once(
    sessionmaker, clock, wakes: list[int]
) -> None:
    async with sessionmaker() as session, session.begin():
        await queue(session, clock, 7)
        await queue(session, clock, 8)
        assert wakes[0] == 0  # not before the commit: the sender would not see them
    assert wakes[0] == 1


async def test_a_commit_that_queued_nothing_wakes_nobody(sessionmaker, wakes: list[int]) -> None:
    async with sessionmaker() as session, session.begin():
        await session.execute(text("SELECT 1"))
    assert wakes[0] == 0


async def test_a_rolled_back_message_wakes_nobody_later(sessionmaker, clock, wakes) -> None:
    async with sessionmaker() as session:
        async with session.begin():
            await queue(session, clock)
            await session.rollback()
        async with session.begin():  # the same session, a transaction that queues nothing
            await session.execute(text("SELECT 1"))
    assert wakes[0] == 0
    async with sessionmaker() as session:
        assert (await session.scalars(select(OutboxMessage))).all() == []


async def test_a_held_message_made_due_again_wakes_the_sender(sessionmaker, clock, wakes) -> None:
    since = clock.now() - timedelta(minutes=1)
    async with sessionmaker() as session, session.begin():
        assert await outbox_queue.requeue_held(session, 7, since, clock.now()) == 0
    assert wakes[0] == 0  # nothing was held

    async with sessionmaker() as session, session.begin():
        await queue(session, clock)
    async with sessionmaker() as session, session.begin():
        await session.execute(OutboxMessage.__table__.update().values(status=OutboxStatus.INACTIVE))
    assert wakes[0] == 1
    async with sessionmaker() as session, session.begin():
        assert await outbox_queue.requeue_held(session, 7, since, clock.now()) == 1
    assert wakes[0] == 2


async def test_only_the_sessions_of_that_sessionmaker_are_watched(
    engine, sessionmaker, clock, wakes: list[int]
) -> None:
    other = create_sessionmaker(engine)
    async with other() as session, session.begin():
        await queue(session, clock)
    assert wakes[0] == 0
