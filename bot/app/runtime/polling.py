"""Long polling that never loses an update.

aiogram's own polling confirms an update to Telegram (by asking for the next
offset) before its handler has run, so a crash mid-handler loses it. Here each
batch is committed to the inbox first; only then is the next ``getUpdates``
call made, which is what confirms the batch to Telegram. While the database is
away the offset stays where it is: Telegram offers the same updates again (it keeps
them for 24 hours) until they are stored. Outages of the database or of the Bot
API are waited out with back-off (``scheduler/resilience.py``), one log line each.
Telegram answers two pollers of one bot with 409: of several instances only the leader
polls (``active``, ``scheduler/leadership.py``); the others store what webhooks bring, or
nothing.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Any, cast

from aiogram import Bot
from aiogram.exceptions import TelegramAPIError, TelegramUnauthorizedError
from aiogram.methods import GetUpdates
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.clock import Clock
from scheduler.resilience import Outage, is_transient
from storage import inbox

log = logging.getLogger(__name__)
STANDBY_PAUSE_SECONDS = 0.2  # how often a poller that does not lead looks again


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
        outage: Outage | None = None,
        active: Callable[[], bool] | None = None,
    ) -> None:
        self._bot = bot
        self._sessionmaker = sessionmaker
        self._clock = clock
        self._timeout = timeout
        self._allowed_updates = allowed_updates
        self._on_stored = on_stored
        self._offset: int | None = None
        self._active = active or (lambda: True)
        self.outage = outage or Outage("update poller")

    async def run(self) -> None:
        while True:
            if not self._active():
                await asyncio.sleep(STANDBY_PAUSE_SECONDS)
                continue
            try:
                stored = await self.poll_once()
            except TelegramUnauthorizedError:
                log.critical("Telegram rejected the bot token; polling stopped")
                raise
            except Exception as error:
                # Any other Bot API answer (a 409 while another instance polls, a 5xx) or
                # an outage of the network or the database is waited out.
                if not (is_transient(error) or isinstance(error, TelegramAPIError)):
                    raise
                await asyncio.sleep(self.outage.failed(error))
                continue
            self.outage.recovered()
            if stored:
                self._on_stored()

    async def poll_once(self) -> int:
        method = RawGetUpdates(
            offset=self._offset, timeout=self._timeout, allowed_updates=self._allowed_updates
        )
        request_timeout = int(self._bot.session.timeout + self._timeout)
        payloads = cast(
            list[dict[str, Any]], await self._bot(method, request_timeout=request_timeout)
        )
        if not payloads:
            return 0
        async with self._sessionmaker() as session, session.begin():
            stored = await inbox.store_updates(session, payloads, self._clock.now())
        # Committed: now it is safe to let Telegram forget them.
        self._offset = max(int(p["update_id"]) for p in payloads) + 1
        return stored


class RawGetUpdates(GetUpdates):
    """``getUpdates`` answered as the JSON Telegram sent: an update is parsed into aiogram's
    types once, by the worker that handles it, not here as well."""

    __returning__ = list[dict[str, Any]]
