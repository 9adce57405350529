"""Delivering queued updates to a bot's webhook, as Telegram does in webhook mode.

The fake Bot API queues what users do (a message, a button press) as it does for
``getUpdates``. :class:`WebhookDelivery` takes that queue and POSTs each update to the
bot's webhook with the secret token, to the ``urls`` in turn (several instances behind a
load balancer); one not answered 200 (or whose POST failed: the instance is gone) is
sent again to the next, as Telegram re-sends it. ``lanes`` deliveries run at once, like
Telegram's ``max_connections``; a chat's updates always take the same lane, so they
arrive in order. ``deliveries`` keeps every attempt: (update_id, url, status or error).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import zlib
from typing import Any

import aiohttp

from fake_telegram.server import FakeTelegramServer

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"


def take_updates(telegram: FakeTelegramServer) -> list[dict[str, Any]]:
    """Every update the fake queued since the last call (removed from its queue)."""
    updates = list(telegram.state.updates)
    telegram.state.updates.clear()
    return updates


async def post_update(
    session: aiohttp.ClientSession,
    url: str,
    update: dict[str, Any] | bytes,
    *,
    secret: str | None,
    **request: Any,
) -> int:
    """POST one update (or raw bytes) as Telegram does; the HTTP status of the answer."""
    headers = {"Content-Type": "application/json"}
    if secret is not None:
        headers[SECRET_HEADER] = secret
    body = update if isinstance(update, bytes) else json.dumps(update).encode()
    async with session.post(url, data=body, headers=headers, **request) as response:
        await response.read()
        return response.status


def chat_key(update: dict[str, Any]) -> int:
    """What keeps an update's lane: its chat (or its sender), else its id."""
    for value in update.values():
        if not isinstance(value, dict):
            continue
        message = value.get("message") if "data" in value else value
        chat = (message or {}).get("chat") if isinstance(message, dict) else None
        if isinstance(chat, dict) and "id" in chat:
            return int(chat["id"])
        sender = value.get("from")
        if isinstance(sender, dict) and "id" in sender:
            return int(sender["id"])
    return int(update.get("update_id", 0))


class WebhookDelivery:
    def __init__(
        self, telegram: FakeTelegramServer, *urls: str, secret: str, lanes: int = 1
    ) -> None:
        self._telegram = telegram
        self._urls = list(urls)
        self._secret = secret
        self._lanes: list[asyncio.Queue[dict[str, Any]]] = [
            asyncio.Queue() for _ in range(max(lanes, 1))
        ]
        self._tasks: list[asyncio.Task[None]] = []
        self._next = 0
        self.deliveries: list[tuple[int, str, int | str]] = []

    @property
    def statuses(self) -> list[int | str]:
        return [outcome for _, _, outcome in self.deliveries]

    async def __aenter__(self) -> WebhookDelivery:
        self._session = aiohttp.ClientSession(
            timeout=aiohttp.ClientTimeout(total=30),
            connector=aiohttp.TCPConnector(limit=len(self._lanes) + 4),
        )
        self._tasks = [asyncio.create_task(self._take())]
        self._tasks += [asyncio.create_task(self._deliver_lane(lane)) for lane in self._lanes]
        return self

    async def __aexit__(self, *exc: object) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await self._session.close()

    async def _take(self) -> None:
        state = self._telegram.state
        while True:
            state.update_event.clear()
            for update in take_updates(self._telegram):
                lane = self._lanes[zlib.crc32(str(chat_key(update)).encode()) % len(self._lanes)]
                lane.put_nowait(update)
            if not state.updates:
                await state.update_event.wait()

    async def _deliver_lane(self, lane: asyncio.Queue[dict[str, Any]]) -> None:
        while True:
            update = await lane.get()
            await self._deliver(update)

    async def _deliver(self, update: dict[str, Any]) -> None:
        while True:
            url = self._urls[self._next % len(self._urls)]
            self._next += 1
            outcome: int | str
            try:
                outcome = await post_update(self._session, url, update, secret=self._secret)
            except (aiohttp.ClientError, OSError, TimeoutError) as error:
                outcome = type(error).__name__
            self.deliveries.append((int(update["update_id"]), url, outcome))
            if outcome == 200:
                return
            await asyncio.sleep(0.05)
