"""Webhook mode: Telegram POSTs updates to the bot, which stores each before answering 200.

The test acts as Telegram (tests/e2e/webhook_support.py): it takes the update the fake
Bot API queued for a user's action and POSTs it to the bot's webhook with the secret
token. Refusals (no or a wrong secret, a body too large, one that is not an update) are
answered 4xx before anything is stored, in one log line, never a traceback.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from pydantic import SecretStr
from sqlalchemy import func, select

from bot.app.application import Application
from bot.clock import ManualClock
from bot.config.settings import Settings
from fake_telegram import FakeTelegramServer
from storage.models import InboundStatus, InboundUpdate
from tests.conftest import eventually
from tests.e2e import residents
from tests.e2e.chat import ResidentChat
from tests.e2e.outages import BUSY_TIMEOUT, DatabaseOutage
from tests.e2e.webhook_support import (
    PUBLIC_URL,
    SECRET,
    Forwarder,
    post_update,
    take_update,
)


def webhook_settings(settings: Settings, **overrides: Any) -> Settings:
    return settings.model_copy(
        update={
            "webhook_url": PUBLIC_URL,
            "webhook_secret": SecretStr(SECRET),
            "webhook_port": 0,
            **overrides,
        }
    )


@pytest.fixture
async def hooked(settings: Settings, clock: ManualClock) -> AsyncIterator[Application]:
    """The bot in webhook mode, listening on a free port of 127.0.0.1."""
    app = Application(webhook_settings(settings), clock=clock, webhook=True)
    try:
        await app.start()
        yield app
    finally:
        await app.stop()


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


async def stored_updates(app: Application) -> list[InboundUpdate]:
    async with app.sessionmaker() as session:
        return list((await session.scalars(select(InboundUpdate))).all())


def no_traceback(caplog: pytest.LogCaptureFixture) -> None:
    tracebacks = [r.getMessage() for r in caplog.records if r.exc_info or r.exc_text]
    assert not tracebacks, tracebacks


async def test_the_webhook_is_registered_with_the_secret_and_the_update_types(
    hooked: Application, telegram: FakeTelegramServer
) -> None:
    [call] = telegram.calls_of("setWebhook")
    assert call.params["url"] == f"{PUBLIC_URL}/telegram"
    assert call.params["secret_token"] == SECRET
    assert call.params["allowed_updates"] == hooked.dispatcher.resolve_used_update_types()
    assert "callback_query" in call.params["allowed_updates"]
    assert call.params.get("drop_pending_updates") in (None, False)
    assert telegram.state.webhook_url == f"{PUBLIC_URL}/telegram"
    assert telegram.state.webhook_secret_token == SECRET
    # Nothing polls, and the webhook is not deleted at start as in polling mode.
    assert not telegram.calls_of("getUpdates")
    assert not telegram.calls_of("deleteWebhook")


async def test_polling_mode_still_deletes_the_webhook(
    app: Application, telegram: FakeTelegramServer
) -> None:
    assert telegram.calls_of("deleteWebhook")
    assert not telegram.calls_of("setWebhook")


async def test_a_conversation_through_the_webhook(
    hooked: Application, telegram: FakeTelegramServer
) -> None:
    user = telegram.user(id=7301, first_name="Alice", language_code="en")
    alice = ResidentChat(hooked, telegram, user, name="Alice")
    async with Forwarder(telegram, hooked.webhook.local_url) as forwarder:
        notice = await alice.say("/start")
        assert "I agree" in str(notice.params.get("reply_markup"))
        asked_name = await alice.press(notice, "✅ I agree")
        assert "name" in asked_name.params["text"]
        await residents.settled(hooked)
    assert forwarder.statuses and set(forwarder.statuses) == {200}
    await all_done(hooked, 2)


async def all_done(app: Application, count: int) -> None:
    async def done() -> bool:
        rows = await stored_updates(app)
        return len(rows) == count and all(r.status is InboundStatus.DONE for r in rows)

    await eventually(done)


async def test_a_missing_or_wrong_secret_is_refused_and_nothing_is_stored(
    hooked: Application,
    telegram: FakeTelegramServer,
    http: aiohttp.ClientSession,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO)
    user = telegram.user(id=7302, first_name="Bob", language_code="en")
    mark = telegram.mark()
    telegram.send_text(user, "/start")
    update = take_update(telegram)
    url = hooked.webhook.local_url
    assert await post_update(http, url, update, secret=None) == 401
    assert await post_update(http, url, update, secret="webhook-Secret_43") == 403
    assert await post_update(http, url, update, secret="") == 403
    assert await post_update(http, url, update, secret=SECRET + "x") == 403
    await asyncio.sleep(0.2)
    assert await stored_updates(hooked) == []
    assert not [c for c in telegram.calls[mark:] if c.params.get("chat_id") == user.id]
    refused = [
        r.getMessage() for r in caplog.records if "Webhook request refused" in r.getMessage()
    ]
    assert len(refused) == 4
    assert not any(SECRET in line for line in refused)
    no_traceback(caplog)


async def test_oversized_and_malformed_bodies_are_refused_without_a_traceback(
    hooked: Application, http: aiohttp.ClientSession, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    url = hooked.webhook.local_url
    big = b'{"update_id": 5, "message": {"text": "' + b"x" * (1024 * 1024) + b'"}}'
    assert await post_update(http, url, big) == 413
    for body in (
        b"{not json",
        b"",
        b"[1, 2]",
        b'{"message": {"text": "hi"}}',
        b'{"update_id": "7"}',
        b'{"update_id": true}',
        b'{"update_id": -1}',
        b'{"update_id": 99999999999999999999999}',
        b"[" * 100_000,
        b"\xff\xfe{}",
    ):
        assert await post_update(http, url, body) == 400, body[:40]
    assert await stored_updates(hooked) == []
    no_traceback(caplog)


async def test_a_chunked_body_over_the_limit_is_refused(
    hooked: Application, caplog: pytest.LogCaptureFixture
) -> None:
    async def chunks() -> AsyncIterator[bytes]:  # no Content-Length: counted while read
        for _ in range(40):
            yield b" " * 65536

    headers = {"X-Telegram-Bot-Api-Secret-Token": SECRET}
    async with (
        aiohttp.ClientSession() as session,
        session.post(hooked.webhook.local_url, data=chunks(), headers=headers) as response,
    ):
        assert response.status == 413
    assert await stored_updates(hooked) == []
    no_traceback(caplog)


async def test_a_re_delivered_update_is_stored_and_handled_once(
    hooked: Application, telegram: FakeTelegramServer, http: aiohttp.ClientSession
) -> None:
    user = telegram.user(id=7303, first_name="Carol", language_code="en")
    mark = telegram.mark()
    telegram.send_text(user, "/start")
    update = take_update(telegram)
    url = hooked.webhook.local_url
    # Telegram re-sends when it did not see the 200 (twice at once, and once later).
    first, second = await asyncio.gather(
        post_update(http, url, update), post_update(http, url, update)
    )
    assert (first, second) == (200, 200)
    await telegram.wait_for("sendMessage", chat_id=user.id, since=mark)
    await residents.settled(hooked)
    assert await post_update(http, url, update) == 200
    await asyncio.sleep(0.3)
    await all_done(hooked, 1)
    rows = await stored_updates(hooked)
    assert [r.update_id for r in rows] == [update["update_id"]]
    replies = [
        c
        for c in telegram.calls[mark:]
        if c.method == "sendMessage" and c.params.get("chat_id") == user.id
    ]
    assert len(replies) == 1


async def test_while_the_database_is_away_updates_are_answered_503_then_taken(
    settings: Settings,
    clock: ManualClock,
    telegram: FakeTelegramServer,
    outage: DatabaseOutage,
    http: aiohttp.ClientSession,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO)
    app = Application(
        webhook_settings(settings, database_url=outage.url, sqlite_busy_timeout=BUSY_TIMEOUT),
        clock=clock,
        webhook=True,
    )
    await app.start()
    try:
        user = telegram.user(id=7304, first_name="Dan", language_code="en")
        mark = telegram.mark()
        telegram.send_text(user, "/start")
        update = take_update(telegram)
        url = app.webhook.local_url
        await outage.begin()
        try:
            assert await post_update(http, url, update, timeout=aiohttp.ClientTimeout(20)) == 503
            assert await post_update(http, url, update, timeout=aiohttp.ClientTimeout(20)) == 503
        finally:
            await outage.end()
        away = [r for r in caplog.records if "database is away" in r.getMessage()]
        assert len(away) == 1  # once per outage
        # Telegram sends it again later: now it is stored and handled.
        await eventually(lambda: _posted(http, url, update), timeout=20)
        await telegram.wait_for("sendMessage", chat_id=user.id, since=mark, timeout=20)
        no_traceback_from_webhook(caplog)
    finally:
        await app.stop()


async def _posted(http: aiohttp.ClientSession, url: str, update: dict[str, Any]) -> bool:
    return await post_update(http, url, update) == 200


def no_traceback_from_webhook(caplog: pytest.LogCaptureFixture) -> None:
    tracebacks = [
        r.getMessage()
        for r in caplog.records
        if (r.exc_info or r.exc_text) and r.name.startswith(("bot.app.runtime.webhook", "aiohttp"))
    ]
    assert not tracebacks, tracebacks


async def test_stored_before_answered(
    hooked: Application, telegram: FakeTelegramServer, http: aiohttp.ClientSession
) -> None:
    """The 200 means committed: the row is there as soon as the answer is."""
    user = telegram.user(id=7305, first_name="Eve", language_code="en")
    telegram.send_text(user, "/help")
    update = take_update(telegram)
    assert await post_update(http, hooked.webhook.local_url, update) == 200
    async with hooked.sessionmaker() as session:
        count = await session.scalar(
            select(func.count()).where(InboundUpdate.update_id == update["update_id"])
        )
    assert count == 1
