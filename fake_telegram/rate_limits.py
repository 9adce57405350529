"""Optional enforcement of Telegram's (approximate, unpublished) flood limits.

Telegram documents "about 30 messages per second" overall, "no more than 20
messages per minute in the same group" and "avoid more than one message per second
in a single chat".  The fake models each as a token bucket, so a short burst is
allowed and sustained overload gets 429s.  Exact rules used here:

* bot-wide: 30 tokens, refilled at 30/s;
* a group/supergroup/channel chat (negative id): 20 tokens, refilled at 20/min;
* a private chat: 3 tokens (a small burst), refilled at 1/s;
* a paid broadcast (a send with ``allow_paid_broadcast``): instead of the bot-wide
  bucket, 1,000 tokens refilled at 1,000/s (the chat's bucket still applies).

A send consumes one token from the bot-wide bucket and one from its chat's bucket,
and only when it succeeds (a 400 does not count).  ``sendMediaGroup`` counts as one
send.  Edits, callback answers, chat actions and other non-send methods are not
limited.  When a bucket is empty the call gets ``429 Too Many Requests: retry after
N`` where ``N`` is the whole number of seconds (at least 1) until every needed
bucket has a token again.  Time is ``time.monotonic`` (server-side, real time).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass


@dataclass
class _Bucket:
    tokens: float
    updated: float


@dataclass(frozen=True)
class Limit:
    """Capacity (burst) and refill rate per second of one bucket kind."""

    burst: float
    per_second: float


GLOBAL_LIMIT = Limit(burst=30, per_second=30.0)
GROUP_LIMIT = Limit(burst=20, per_second=20 / 60)
PRIVATE_LIMIT = Limit(burst=3, per_second=1.0)
PAID_BROADCAST_LIMIT = Limit(burst=1000, per_second=1000.0)


class RateLimiter:
    """Token buckets for the bot as a whole and for each chat."""

    def __init__(
        self,
        *,
        global_limit: Limit = GLOBAL_LIMIT,
        group_limit: Limit = GROUP_LIMIT,
        private_limit: Limit = PRIVATE_LIMIT,
        paid_limit: Limit = PAID_BROADCAST_LIMIT,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.global_limit = global_limit
        self.group_limit = group_limit
        self.private_limit = private_limit
        self.paid_limit = paid_limit
        self._clock = clock
        self._chats: dict[int | str, _Bucket] = {}
        self.reset()

    def _refill(self, bucket: _Bucket, limit: Limit, now: float) -> None:
        if now > bucket.updated:
            bucket.tokens = min(
                limit.burst, bucket.tokens + (now - bucket.updated) * limit.per_second
            )
            bucket.updated = now

    def _chat_bucket(self, chat_id: int | str, now: float) -> tuple[_Bucket, Limit]:
        limit = self.private_limit if _is_private(chat_id) else self.group_limit
        bucket = self._chats.get(chat_id)
        if bucket is None:
            bucket = self._chats[chat_id] = _Bucket(limit.burst, now)
        return bucket, limit

    def _bot_bucket(self, paid: bool) -> tuple[_Bucket, Limit]:
        return (self._paid, self.paid_limit) if paid else (self._global, self.global_limit)

    def _send_buckets(self, chat_id: int | str, paid: bool) -> list[tuple[_Bucket, Limit]]:
        """The bot-wide (or paid) and the chat bucket a send draws on, refilled up to now."""
        now = self._clock()
        buckets = [self._bot_bucket(paid), self._chat_bucket(chat_id, now)]
        for bucket, limit in buckets:
            self._refill(bucket, limit, now)
        return buckets

    def check(self, chat_id: int | str, *, paid: bool = False) -> int | None:
        """``None`` if a send to ``chat_id`` is allowed now, else ``retry_after`` seconds
        (``paid``: a paid broadcast, counted in its own bot-wide bucket)."""
        wait = 0.0
        for bucket, limit in self._send_buckets(chat_id, paid):
            if bucket.tokens < 1:
                wait = max(wait, (1 - bucket.tokens) / limit.per_second)
        if wait <= 0:
            return None
        return max(1, math.ceil(wait))

    def commit(self, chat_id: int | str, *, paid: bool = False) -> None:
        """Consume one token from the bot-wide (or paid) and the chat bucket."""
        for bucket, _limit in self._send_buckets(chat_id, paid):
            bucket.tokens -= 1

    def reset(self) -> None:
        """Forget all history (full buckets everywhere)."""
        self._global = _Bucket(self.global_limit.burst, self._clock())
        self._paid = _Bucket(self.paid_limit.burst, self._clock())
        self._chats.clear()


def _is_private(chat_id: int | str) -> bool:
    if isinstance(chat_id, int):
        return chat_id > 0
    return str(chat_id).lstrip("-").isdigit() and not str(chat_id).startswith("-")
