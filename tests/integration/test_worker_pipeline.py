"""The update worker does not wait for a whole batch: a chat that is slow (a Telegram
round-trip, a long report) holds up only itself; its later updates follow it in order."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

from aiogram import Bot, Dispatcher
from aiogram.types import Message
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.app.runtime.worker import UpdateWorker
from bot.clock import ManualClock
from storage import inbox
from tests.integration.test_inbox import private_update

SLOW_CHAT, OTHER_CHAT = 701, 702


def _payload(update_id: int, chat_id: int, text: str) -> dict[str, Any]:
    return private_update(
        update_id,
        chat_id,
        {"from": {"id": chat_id, "is_bot": False, "first_name": "Li"}, "text": text},
    )


def _worker(
    dispatcher: Dispatcher,
    sessionmaker: async_sessionmaker[AsyncSession],
    clock: ManualClock,
    chats: int,
    transactions: int | None = None,
) -> tuple[Bot, UpdateWorker]:
    """A worker handling ``chats`` chats at once (``transactions`` open at most)."""
    bot = Bot("42:TEST")
    worker = UpdateWorker(
        dispatcher,
        bot,
        sessionmaker,
        clock,
        worker_id="worker-1",
        lease=timedelta(minutes=2),
        max_attempts=3,
        poll_interval=0.05,
        max_concurrent_chats=chats,
        max_concurrent_transactions=transactions,
    )
    return bot, worker


async def test_a_slow_chat_holds_up_only_itself(
    sessionmaker: async_sessionmaker[AsyncSession], clock: ManualClock
) -> None:
    gate = asyncio.Event()
    handled: list[str] = []
    progress = asyncio.Condition()

    dispatcher = Dispatcher()

    @dispatcher.message()
    async def note(message: Message) -> None:
        if message.text == "slow":
            await gate.wait()
        async with progress:
            handled.append(message.text or "")
            progress.notify_all()

    async def store(*payloads: dict[str, Any]) -> None:
        async with sessionmaker() as session, session.begin():
            await inbox.store_updates(session, list(payloads), clock.now())
        worker.wake()

    async def until(predicate: Any) -> None:
        async with progress:
            await asyncio.wait_for(progress.wait_for(predicate), 10)

    bot, worker = _worker(dispatcher, sessionmaker, clock, chats=4)
    running = asyncio.create_task(worker.run())
    try:
        await store(_payload(1, SLOW_CHAT, "slow"), _payload(2, OTHER_CHAT, "b1"))
        await until(lambda: "b1" in handled)
        # While the slow chat is in hand, both chats write again.
        await store(_payload(3, SLOW_CHAT, "after slow"), _payload(4, OTHER_CHAT, "b2"))
        await until(lambda: "b2" in handled)
        assert "slow" not in handled and "after slow" not in handled
        gate.set()
        await until(lambda: "after slow" in handled)
        assert handled == ["b1", "b2", "slow", "after slow"]
    finally:
        gate.set()
        worker.stop_soon()
        await asyncio.wait_for(running, 10)
        await bot.session.close()
    async with sessionmaker() as session:
        for update_id in (1, 2, 3, 4):
            assert not await inbox.is_pending(session, update_id)


async def _peak_of_open_transactions(
    sessionmaker: async_sessionmaker[AsyncSession],
    clock: ManualClock,
    chats: int,
    max_concurrent_transactions: int | None,
    first_update_id: int,
) -> tuple[int, int]:
    """``chats`` chats write at once; every handler waits for a gate. Returns how many
    handlers (each inside its update's transaction) were in at once before the gate
    opened, and how many updates were handled in the end."""
    gate = asyncio.Event()
    inside = handled = 0
    progress = asyncio.Condition()
    dispatcher = Dispatcher()

    @dispatcher.message()
    async def held(message: Message) -> None:
        nonlocal inside, handled
        async with progress:
            inside += 1
            progress.notify_all()
        await gate.wait()
        async with progress:
            inside -= 1
            handled += 1
            progress.notify_all()

    bot, worker = _worker(dispatcher, sessionmaker, clock, chats, max_concurrent_transactions)
    running = asyncio.create_task(worker.run())
    try:
        async with sessionmaker() as session, session.begin():
            ids = range(first_update_id, first_update_id + chats)
            payloads = [_payload(n, 800 + n, f"hello {n}") for n in ids]
            await inbox.store_updates(session, payloads, clock.now())
        worker.wake()
        expected = max_concurrent_transactions or chats
        async with progress:
            await asyncio.wait_for(progress.wait_for(lambda: inside == expected), 10)
        # Time for any other chat to get in, were it let in.
        await asyncio.sleep(0.3)
        peak = inside
        gate.set()
        async with progress:
            await asyncio.wait_for(progress.wait_for(lambda: handled == chats), 10)
        return peak, handled
    finally:
        gate.set()
        worker.stop_soon()
        await asyncio.wait_for(running, 10)
        await bot.session.close()


async def test_the_worker_keeps_no_more_transactions_open_than_it_is_allowed(
    sessionmaker: async_sessionmaker[AsyncSession], clock: ManualClock
) -> None:
    """As many as the connection pool keeps: an update past them would open and close a
    connection of its own. The chats past the limit wait their turn, and all are handled."""
    assert await _peak_of_open_transactions(sessionmaker, clock, 6, None, 1) == (6, 6)
    assert await _peak_of_open_transactions(sessionmaker, clock, 6, 2, 11) == (2, 6)
