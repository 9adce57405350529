"""Acting as Telegram in webhook mode: take the updates the fake Bot API queued (a user's
message, a button press) and POST them to the bot's webhook, with the secret token.

The fake Bot API does not deliver to a webhook by itself; it queues updates as it does
for getUpdates. :func:`take_updates` empties that queue; :func:`post_update` makes one
delivery; :class:`Forwarder` delivers everything queued as it comes, re-sending what was
not answered 200 (as Telegram does), so the usual conversation helpers
(``tests/e2e/residents.py``) work unchanged against a bot in webhook mode.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from typing import Any

import aiohttp

from bot.app.runtime.webhook import SECRET_HEADER
from fake_telegram import FakeTelegramServer

SECRET = "webhook-Secret_42"
PUBLIC_URL = "https://resident-bot.example.com"


def take_updates(telegram: FakeTelegramServer) -> list[dict[str, Any]]:
    """Every update the fake queued since the last call (removed from its queue)."""
    updates = list(telegram.state.updates)
    telegram.state.updates.clear()
    return updates


def take_update(telegram: FakeTelegramServer) -> dict[str, Any]:
    """The one update queued by the last user action."""
    updates = take_updates(telegram)
    assert len(updates) == 1, updates
    return updates[0]


async def post_update(
    session: aiohttp.ClientSession,
    url: str,
    update: dict[str, Any] | bytes,
    *,
    secret: str | None = SECRET,
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


class Forwarder:
    """Delivers every update the fake queues, in order, to the ``urls`` in turn (one
    update to the first, the next to the second, …); an update not answered 200 (or
    whose POST failed: the instance is gone) is sent again to the next, as Telegram
    re-sends it. ``deliveries`` keeps every attempt: (update_id, url, status or error)."""

    def __init__(self, telegram: FakeTelegramServer, *urls: str, secret: str = SECRET) -> None:
        self._telegram = telegram
        self._urls = list(urls)
        self._secret = secret
        self._task: asyncio.Task[None] | None = None
        self._next = 0
        self.deliveries: list[tuple[int, str, int | str]] = []

    @property
    def statuses(self) -> list[int | str]:
        return [outcome for _, _, outcome in self.deliveries]

    async def __aenter__(self) -> Forwarder:
        self._task = asyncio.create_task(self._run())
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _run(self) -> None:
        state = self._telegram.state
        timeout = aiohttp.ClientTimeout(total=30)
        async with aiohttp.ClientSession(timeout=timeout) as session:
            while True:
                state.update_event.clear()
                for update in take_updates(self._telegram):
                    await self._deliver(session, update)
                if not state.updates:
                    await state.update_event.wait()

    async def _deliver(self, session: aiohttp.ClientSession, update: dict[str, Any]) -> None:
        while True:
            url = self._urls[self._next % len(self._urls)]
            self._next += 1
            outcome: int | str
            try:
                outcome = await post_update(session, url, update, secret=self._secret)
            except (aiohttp.ClientError, OSError) as error:
                outcome = type(error).__name__
            self.deliveries.append((int(update["update_id"]), url, outcome))
            if outcome == 200:
                return
            await asyncio.sleep(0.05)
