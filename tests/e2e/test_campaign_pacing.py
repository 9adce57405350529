"""A questionnaire to hundreds of residents goes out as fast as Telegram allows, and no
faster: the fake Bot API enforces Telegram's flood limits (30 messages/s per bot, 1/s per
chat) and answers 429 to any excess; the campaign is delivered without one. An operator
who opted in to paid broadcasts sends it with ``allow_paid_broadcast`` (counted by
Telegram against 1,000/s instead of 30/s)."""

from __future__ import annotations

from bench.campaign_bench import FIRST_RESIDENT, seed_residents
from bot.app.application import Application
from fake_telegram import FakeTelegramServer
from fake_telegram.models import ApiCall
from tests.e2e.conftest import AppFactory, say
from tests.e2e.survey_support import MANAGER

RESIDENTS = 300


async def residents_of_sunshine(app: Application, telegram: FakeTelegramServer) -> None:
    """``RESIDENTS`` registered residents bound to the sunshine project's units."""
    await seed_residents(app, telegram, RESIDENTS)


def invitations(telegram: FakeTelegramServer) -> list[ApiCall]:
    return [
        call
        for call in telegram.calls_of("sendMessage")
        if call.ok and call.params.get("chat_id", 0) >= FIRST_RESIDENT
    ]


async def all_invited(telegram: FakeTelegramServer, timeout: float) -> list[ApiCall]:
    await telegram.recorder.wait_until(lambda: len(invitations(telegram)) >= RESIDENTS, timeout)
    return invitations(telegram)


async def test_a_campaign_to_300_residents_is_delivered_at_telegrams_limit_without_a_429(
    start_app: AppFactory, telegram: FakeTelegramServer
) -> None:
    telegram.enforce_rate_limits = True
    app = await start_app(outbox_poll_interval=0.2)
    await residents_of_sunshine(app, telegram)
    manager = telegram.user(id=MANAGER, first_name="李强", language_code="en")

    started = await say(telegram, manager, "/survey start")
    assert f"{RESIDENTS} residents" in started.params["text"]
    sent = await all_invited(telegram, timeout=60)

    assert len({call.params["chat_id"] for call in sent}) == RESIDENTS
    assert telegram.stats["rate_limited"] == 0
    assert not any("allow_paid_broadcast" in call.params for call in sent)


async def test_with_paid_broadcasts_the_campaign_goes_as_paid_broadcasts_without_a_429(
    start_app: AppFactory, telegram: FakeTelegramServer
) -> None:
    telegram.enforce_rate_limits = True
    app = await start_app(paid_broadcast=True)
    await residents_of_sunshine(app, telegram)
    manager = telegram.user(id=MANAGER, first_name="李强", language_code="en")

    started = await say(telegram, manager, "/survey start")
    assert f"{RESIDENTS} residents" in started.params["text"]
    sent = await all_invited(telegram, timeout=30)

    assert telegram.stats["rate_limited"] == 0
    assert all(call.params.get("allow_paid_broadcast") in (True, "true") for call in sent)
    # The manager's own answer is no broadcast.
    assert "allow_paid_broadcast" not in started.params
