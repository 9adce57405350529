"""Pacing outgoing messages to stay inside Telegram's limits, as fast as they allow.

Telegram asks bots to stay around 30 messages a second overall, at most 20 a
minute in one group, and about one a second in one private chat (a short burst
of a few is tolerated, so each has a small bucket of 3 refilled at 1/s; a group
may take a burst of its 20). Operators who pay for it may send broadcasts at up
to 1,000 messages a second (``allow_paid_broadcast``): those go through a lane of
their own, the per-chat limits still apply.

:class:`SendPacer` keeps to all of them: :meth:`wait_turn` waits for the next
free slot (short waits only: the lane's slot and the chat's bucket), and
:meth:`busy_chats` names the chats that cannot take a message for a while (a
group that used its 20 this minute), so the sender does not claim their
messages and hold everyone else up.

Each lane is adaptive: it sends at its ceiling (the limit less a small margin, since
Telegram measures on its side, after the network) with a burst of a few slots (5) to
make up for the moments the sender was busy elsewhere. A 429 (``retry_after``)
halves the lane's rate (never below 1/s); it stays there for ``retry_after`` seconds,
then climbs back gradually (``recovery`` messages/s each second) to the ceiling. The
refused message itself waits ``retry_after`` in the outbox (business time, the
injected clock); pacing uses the event loop's monotonic clock (or an injected one):
it is about real throughput, not business time.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict, deque
from collections.abc import Awaitable, Callable

PAID_BROADCAST_LIMIT = 1000.0  # messages a second with allow_paid_broadcast


class Lane:
    """The overall rate of one kind of sending: a slot every ``1 / rate`` seconds,
    ``burst`` slots of credit, cut on a 429 and recovering linearly to ``ceiling``."""

    def __init__(
        self,
        ceiling: float,
        *,
        burst: int = 5,
        backoff: float = 0.5,
        recovery: float = 1.0,
        floor: float = 1.0,
    ) -> None:
        self.ceiling = ceiling
        self._tolerance_slots = max(burst - 1, 0)
        self._backoff = backoff
        self._recovery = recovery
        self._floor = min(floor, ceiling)
        self._cut_to: float | None = None  # the rate right after the last 429
        self._recovering_from = 0.0  # when the climb back starts (retry_after after the 429)
        self.next_slot = 0.0  # theoretical time of the next send (GCRA)

    def rate(self, at: float) -> float:
        """Messages a second allowed at ``at``."""
        if self._cut_to is None:
            return self.ceiling
        climbed = self._cut_to + self._recovery * max(at - self._recovering_from, 0.0)
        if climbed >= self.ceiling:
            self._cut_to = None
            return self.ceiling
        return climbed

    def take(self, now: float, earliest: float) -> float:
        """Reserve the first slot at or after ``earliest``; when it is."""
        interval = 1.0 / self.rate(max(now, earliest))
        start = max(earliest, self.next_slot - self._tolerance_slots * interval)
        self.next_slot = max(self.next_slot, start) + interval
        return start

    def retry_after(self, now: float, seconds: float) -> None:
        """Telegram said 429: half the rate for ``seconds``, then climb back."""
        self._cut_to = max(self._floor, self.rate(now) * self._backoff)
        self._recovering_from = now + seconds
        self.next_slot = max(self.next_slot, now) + 1.0 / self._cut_to  # no burst credit


class SendPacer:
    def __init__(
        self,
        per_second: float = 30.0,
        per_group_minute: int = 20,
        per_chat_second: float = 1.0,
        *,
        chat_burst: int = 3,
        group_window: float = 60.0,
        margin: float = 0.98,
        burst: int = 5,
        backoff: float = 0.5,
        recovery: float = 1.0,
        paid_per_second: float = PAID_BROADCAST_LIMIT,
        time: Callable[[], float] | None = None,
        sleep: Callable[[float], Awaitable[None]] | None = None,
    ) -> None:
        # Telegram measures on its side, after the network: stay a little under each limit.
        self.free = Lane(per_second * margin, burst=burst, backoff=backoff, recovery=recovery)
        self.paid = Lane(
            paid_per_second * margin,
            burst=burst,
            backoff=backoff,
            recovery=recovery * paid_per_second / per_second,
        )
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

    def lane(self, paid: bool = False) -> Lane:
        return self.paid if paid else self.free

    def rate(self, paid: bool = False) -> float:
        """The overall rate the lane sends at now (messages a second)."""
        return self.lane(paid).rate(self._now())

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

    async def wait_turn(self, chat_id: int, *, paid: bool = False) -> None:
        """Wait for the slot of one message to ``chat_id`` (``paid``: a paid broadcast)."""
        async with self._lock:
            now = self._now()
            start = self.lane(paid).take(now, now + self.ready_in(chat_id))
            if chat_id < 0:  # groups and channels have negative ids
                self._group_sends[chat_id].append(start)
            else:
                self._chat_tokens[chat_id] = (self._tokens(chat_id, start) - 1, start)
        if start > now:
            await self._sleep(start - now)

    def retry_after(self, seconds: float, *, paid: bool = False) -> None:
        """Telegram answered 429 with ``retry_after``: the lane slows down for a while."""
        self.lane(paid).retry_after(self._now(), seconds)

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
