"""Acting as Telegram in webhook mode: the fake Bot API's queued updates (a user's
message, a button press) POSTed to the bot's webhook with the secret token
(``fake_telegram/webhook_delivery.py``), so the usual conversation helpers
(``tests/e2e/residents.py``) work unchanged against a bot in webhook mode.
"""

from __future__ import annotations

from typing import Any

import aiohttp

from fake_telegram import FakeTelegramServer
from fake_telegram.webhook_delivery import WebhookDelivery, take_updates
from fake_telegram.webhook_delivery import post_update as _post_update

SECRET = "webhook-Secret_42"
PUBLIC_URL = "https://resident-bot.example.com"

__all__ = ["PUBLIC_URL", "SECRET", "Forwarder", "post_update", "take_update", "take_updates"]


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
    """POST one update (or raw bytes) with the tests' secret unless told otherwise."""
    return await _post_update(session, url, update, secret=secret, **request)


class Forwarder(WebhookDelivery):
    """Everything queued, in order, to the ``urls`` in turn, with the tests' secret."""

    def __init__(self, telegram: FakeTelegramServer, *urls: str, secret: str = SECRET) -> None:
        super().__init__(telegram, *urls, secret=secret)
