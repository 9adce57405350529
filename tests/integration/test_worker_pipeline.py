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
        max_concurrent_chats=4,
    )
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
