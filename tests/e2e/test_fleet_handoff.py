"""Several instances: a chat's next update reaches another instance while the first is
still writing down that its replies went out (those marks are batched a moment later,
``bot/app/runtime/sent_marks.py``). The second instance's claim must skip the chat then,
to keep its order; nothing would wake it again before its poll interval, so it looks
again shortly by itself (``UpdateWorker.news``). Here the poll interval is an hour and the
first instance's marks are held back 1.5 s: the update is still answered."""

from __future__ import annotations

from collections.abc import AsyncIterator

import aiohttp
import pytest
from pydantic import SecretStr
from sqlalchemy import select

from bot.app.application import Application
from bot.clock import ManualClock
from bot.config.settings import Settings
from fake_telegram import FakeTelegramServer
from storage.models import InboundStatus, InboundUpdate
from tests.conftest import eventually
from tests.db import ON_POSTGRES
from tests.e2e.webhook_support import PUBLIC_URL, SECRET, post_update, take_update

pytestmark = pytest.mark.skipif(
    not ON_POSTGRES, reason="several instances share a PostgreSQL database only"
)


@pytest.fixture
async def pair(settings: Settings, clock: ManualClock) -> AsyncIterator[list[Application]]:
    apps: list[Application] = []
    try:
        for n in range(2):
            app = Application(
                settings.model_copy(
                    update={
                        "webhook_url": PUBLIC_URL,
                        "webhook_secret": SecretStr(SECRET),
                        "webhook_port": 0,
                        "worker_poll_interval": 3600.0,
                    }
                ),
                clock=clock,
                webhook=True,
                instance_id=f"instance-{n}",
            )
            await app.start()
            apps.append(app)
        yield apps
    finally:
        for app in reversed(apps):
            await app.stop()


async def test_a_chats_next_update_on_another_instance_is_answered_without_waiting_a_poll(
    pair: list[Application], telegram: FakeTelegramServer
) -> None:
    first, second = pair
    first.worker._sent_marks._delay = 1.5  # its "replies sent" marks come late
    user = telegram.user(id=7401, first_name="小红", language_code="zh-hans")
    async with aiohttp.ClientSession() as http:
        mark = telegram.mark()
        telegram.send_text(user, "/language")
        assert await post_update(http, first.webhook.local_url, take_update(telegram)) == 200
        asked = await telegram.wait_for("sendMessage", chat_id=user.id, since=mark, timeout=10)
        assert asked.params["text"] == "请选择语言："
        await eventually(lambda: not first.worker._in_flight, timeout=10)  # first is idle

        # The answer reaches the other instance while the first still holds the chat.
        mark = telegram.mark()
        telegram.send_text(user, "English")
        assert await post_update(http, second.webhook.local_url, take_update(telegram)) == 200
        answer = await telegram.wait_for("sendMessage", chat_id=user.id, since=mark, timeout=10)
        assert answer.params["text"] == "Language set to English."

    await eventually(lambda: _all_done(second), timeout=10)


async def _all_done(app: Application) -> bool:
    async with app.sessionmaker() as session:
        statuses = (await session.scalars(select(InboundUpdate.status))).all()
    return bool(statuses) and all(s is InboundStatus.DONE for s in statuses)
