"""Pacing outgoing messages to stay inside Telegram's limits.

About 30 messages a second per bot, and 20 a minute per group. Pacing uses the
event loop's monotonic clock: it is about real throughput, not business time.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict, deque


class SendPacer:
    def __init__(self, per_second: float = 30.0, per_group_minute: int = 20) -> None:
        self._interval = 1.0 / per_second
        self._next_slot = 0.0
        self._per_group_minute = per_group_minute
        self._group_sends: dict[int, deque[float]] = defaultdict(deque)
        self._lock = asyncio.Lock()

    async def wait_turn(self, chat_id: int) -> None:
        loop = asyncio.get_running_loop()
        async with self._lock:
            now = loop.time()
            wait = max(self._next_slot - now, self._group_wait(chat_id, now))
            self._next_slot = max(now, self._next_slot) + self._interval
        if wait > 0:
            await asyncio.sleep(wait)
        if chat_id < 0:
            self._group_sends[chat_id].append(loop.time())

    def _group_wait(self, chat_id: int, now: float) -> float:
        if chat_id >= 0:  # private chats have positive ids, groups negative
            return 0.0
        window = self._group_sends[chat_id]
        while window and now - window[0] >= 60.0:
            window.popleft()
        if len(window) < self._per_group_minute:
            return 0.0
        return 60.0 - (now - window[0])
