"""Handles stored updates: chats in parallel, each chat's updates in order."""

from __future__ import annotations

import asyncio
import logging
import traceback
from collections import defaultdict
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any

from aiogram import Bot, Dispatcher
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.app.runtime.handling import handle_update_once
from bot.clock import Clock
from scheduler.batch_loop import BatchLoop
from storage import inbox
from storage.models import InboundStatus, InboundUpdate

log = logging.getLogger(__name__)

# Called, inside the transaction that parks an update as failed, to tell its sender.
GaveUpCallback = Callable[[AsyncSession, dict[str, Any]], Awaitable[None]]


class UpdateWorker(BatchLoop):
    def __init__(
        self,
        dispatcher: Dispatcher,
        bot: Bot,
        sessionmaker: async_sessionmaker[AsyncSession],
        clock: Clock,
        *,
        worker_id: str,
        lease: timedelta,
        max_attempts: int,
        poll_interval: float,
        max_concurrent_chats: int,
        on_gave_up: GaveUpCallback | None = None,
        after_batch: Callable[[], None] | None = None,
    ) -> None:
        super().__init__(poll_interval)
        self._dispatcher = dispatcher
        self._bot = bot
        self._sessionmaker = sessionmaker
        self._clock = clock
        self._worker_id = worker_id
        self._lease = lease
        self._max_attempts = max_attempts
        self._chat_slots = asyncio.Semaphore(max_concurrent_chats)
        self._on_gave_up = on_gave_up
        self._after_batch = after_batch

    async def _one_batch(self) -> int:
        return await self.run_once()

    async def run_once(self) -> int:
        """Claim and handle one batch; returns how many updates were attempted."""
        async with self._sessionmaker() as session, session.begin():
            claimed = await inbox.claim_batch(
                session, self._worker_id, self._clock.now(), self._lease
            )
        if not claimed:
            return 0
        by_chat: dict[str, list[InboundUpdate]] = defaultdict(list)
        for row in claimed:
            by_chat[row.chat_key].append(row)
        await asyncio.gather(*(self._handle_chat(rows) for rows in by_chat.values()))
        if self._after_batch is not None:
            self._after_batch()
        return len(claimed)

    async def _handle_chat(self, rows: list[InboundUpdate]) -> None:
        async with self._chat_slots:
            for index, row in enumerate(rows):
                if not await self._handle(row):
                    # Keep the chat's order: release the rest, they follow after the retry.
                    await self._release([r.update_id for r in rows[index + 1 :]])
                    return

    async def _handle(self, row: InboundUpdate) -> bool:
        try:
            await handle_update_once(
                self._dispatcher,
                self._bot,
                self._sessionmaker,
                self._clock,
                row.payload,
                from_inbox=True,
            )
            return True
        except asyncio.CancelledError:
            raise
        except Exception as error:
            log.exception("Update %s failed", row.update_id)
            await self._record_failure(row, error)
            return False

    async def _record_failure(self, row: InboundUpdate, error: Exception) -> None:
        now = self._clock.now()
        delay = timedelta(seconds=min(2 ** (row.attempts + 1), 300))
        summary = "".join(traceback.format_exception_only(error)).strip()
        async with self._sessionmaker() as session, session.begin():
            status = await inbox.record_failure(
                session, row.update_id, summary, now, now + delay, self._max_attempts
            )
            if status is InboundStatus.FAILED and self._on_gave_up is not None:
                await self._on_gave_up(session, row.payload)

    async def _release(self, update_ids: list[int]) -> None:
        if not update_ids:
            return
        async with self._sessionmaker() as session, session.begin():
            await inbox.release(session, update_ids)
