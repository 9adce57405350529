"""Pacing outgoing messages to stay inside Telegram's limits.

Telegram asks bots to stay around 30 messages a second overall, at most 20 a
minute in one group, and about one a second in one private chat (a short burst
of a few is tolerated, so each has a small bucket of 3 refilled at 1/s; a group
may take a burst of its 20).
:class:`SendPacer` keeps to all three: :meth:`wait_turn` waits for the next
free slot (short waits only: the global slot and the chat's bucket), and
:meth:`busy_chats` names the chats that cannot take a message for a while (a
group that used its 20 this minute), so the sender does not claim their
messages and hold everyone else up. Pacing uses the event loop's monotonic
clock: it is about real throughput, not business time.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict, deque
from collections.abc import Awaitable, Callable


class SendPacer:
    def __init__(
        self,
        per_second: float = 30.0,
        per_group_minute: int = 20,
        per_chat_second: float = 1.0,
        *,
        chat_burst: int = 3,
        group_window: float = 60.0,
        margin: float = 0.9,
        time: Callable[[], float] | None = None,
        sleep: Callable[[float], Awaitable[None]] | None = None,
    ) -> None:
        # Telegram measures on its side, after the network: stay a little under each limit.
        self._interval = 1.0 / (per_second * margin)
        self._next_slot = 0.0
        self._per_group = per_group_minute
        self._window = group_window / margin
        self._chat_rate = per_chat_second * margin
        self._chat_burst = float(chat_burst)
        self._group_sends: dict[int, deque[float]] = defaultdict(deque)
        self._chat_tokens: dict[int, tuple[float, float]] = {}  # chat → (tokens, at)
        self._lock = asyncio.Lock()
        self._time = time
        self._sleep = sleep or asyncio.sleep

    def _now(self) -> float:
        return self._time() if self._time is not None else asyncio.get_running_loop().time()

    def _tokens(self, chat_id: int, at: float) -> float:
        tokens, since = self._chat_tokens.get(chat_id, (self._chat_burst, at))
        return min(self._chat_burst, tokens + max(at - since, 0.0) * self._chat_rate)

    def ready_in(self, chat_id: int) -> float:
        """Seconds until ``chat_id`` may receive its next message (0 = now)."""
        now = self._now()
        if chat_id < 0:  # groups: 20 a minute (bursts allowed) is the stricter limit
            return max(self._group_wait(chat_id, now), 0.0)
        tokens = self._tokens(chat_id, now)
        return 0.0 if tokens >= 1 else (1 - tokens) / self._chat_rate

    def busy_chats(self, longer_than: float = 1.5) -> list[int]:
        """Chats that must wait more than ``longer_than`` seconds: do not claim for them."""
        chats = set(self._chat_tokens) | set(self._group_sends)
        busy = sorted(chat for chat in chats if self.ready_in(chat) > longer_than)
        self._forget_idle(self._now())
        return busy

    async def wait_turn(self, chat_id: int) -> None:
        async with self._lock:
            now = self._now()
            start = max(now, self._next_slot, now + self.ready_in(chat_id))
            self._next_slot = max(now, self._next_slot) + self._interval
            if chat_id < 0:  # groups and channels have negative ids
                self._group_sends[chat_id].append(start)
            else:
                self._chat_tokens[chat_id] = (self._tokens(chat_id, start) - 1, start)
        if start > now:
            await self._sleep(start - now)

    def _group_wait(self, chat_id: int, now: float) -> float:
        if chat_id >= 0:
            return 0.0
        window = self._group_sends.get(chat_id)
        if not window:
            return 0.0
        while window and now - window[0] >= self._window:
            window.popleft()
        if len(window) < self._per_group:
            return 0.0
        return self._window - (now - window[-self._per_group])

    def _forget_idle(self, now: float) -> None:
        full = [c for c in self._chat_tokens if self._tokens(c, now) >= self._chat_burst]
        for chat_id in full:
            del self._chat_tokens[chat_id]
        for chat_id in [c for c, sends in self._group_sends.items() if not sends]:
            del self._group_sends[chat_id]
