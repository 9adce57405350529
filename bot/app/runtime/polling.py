"""Long polling that never loses an update.

aiogram's own polling confirms an update to Telegram (by asking for the next
offset) before its handler has run, so a crash mid-handler loses it. Here each
batch is committed to the inbox first; only then is the next ``getUpdates``
call made, which is what confirms the batch to Telegram.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

from aiogram import Bot
from aiogram.exceptions import TelegramAPIError, TelegramNetworkError, TelegramUnauthorizedError
from aiogram.methods import GetUpdates
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.clock import Clock
from storage import inbox

log = logging.getLogger(__name__)


class UpdatePoller:
    def __init__(
        self,
        bot: Bot,
        sessionmaker: async_sessionmaker[AsyncSession],
        clock: Clock,
        *,
        timeout: int,
        allowed_updates: list[str],
        on_stored: Callable[[], None],
    ) -> None:
        self._bot = bot
        self._sessionmaker = sessionmaker
        self._clock = clock
        self._timeout = timeout
        self._allowed_updates = allowed_updates
        self._on_stored = on_stored
        self._offset: int | None = None

    async def run(self) -> None:
        backoff = 0.5
        while True:
            try:
                stored = await self.poll_once()
                backoff = 0.5
                if stored:
                    self._on_stored()
            except asyncio.CancelledError:
                raise
            except TelegramUnauthorizedError:
                log.critical("Telegram rejected the bot token; polling stopped")
                raise
            except (TelegramAPIError, TelegramNetworkError, OSError, TimeoutError) as error:
                log.warning(
                    "getUpdates failed (%s); retrying in %.1fs", type(error).__name__, backoff
                )
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, 30.0)

    async def poll_once(self) -> int:
        method = GetUpdates(
            offset=self._offset, timeout=self._timeout, allowed_updates=self._allowed_updates
        )
        request_timeout = int(self._bot.session.timeout + self._timeout)
        updates = await self._bot(method, request_timeout=request_timeout)
        if not updates:
            return 0
        payloads = [u.model_dump(mode="json", exclude_none=True, by_alias=True) for u in updates]
        async with self._sessionmaker() as session, session.begin():
            stored = await inbox.store_updates(session, payloads, self._clock.now())
        # Committed: now it is safe to let Telegram forget them.
        self._offset = max(u.update_id for u in updates) + 1
        return stored
