"""Two instances on one PostgreSQL database (``scheduler/leadership.py``): only the leader
sends the outbox, so a survey campaign to hundreds of residents keeps Telegram's limits
for the fleet as a whole (the fake Bot API enforces them and answers 429 to any excess)
and reaches each resident once; when the leader stops, or its lock's connection dies,
the other takes over and finishes the campaign, nothing lost or doubled; the scheduler's
jobs run on the leader only. A standby that queued the campaign wakes the leader's sender
through NOTIFY."""

from __future__ import annotations

import asyncio
from collections import Counter

import pytest
from sqlalchemy import text

from bench.campaign_bench import FIRST_RESIDENT, seed_residents
from bot.app.application import Application
from fake_telegram import FakeTelegramServer
from fake_telegram.models import ApiCall
from scheduler.leadership import InstanceRole
from tests.conftest import eventually
from tests.db import ON_POSTGRES
from tests.e2e.conftest import AppFactory, say
from tests.e2e.survey_support import MANAGER

pytestmark = pytest.mark.skipif(
    not ON_POSTGRES, reason="several instances share a PostgreSQL database only"
)

RESIDENTS = 300
INTERVAL = 0.2  # the standby's attempts to take the lead
TELEGRAM_PER_SECOND = 30


def invitations(telegram: FakeTelegramServer) -> list[ApiCall]:
    return [
        call
        for call in telegram.calls_of("sendMessage")
        if call.ok and call.params.get("chat_id", 0) >= FIRST_RESIDENT
    ]


async def fleet(start_app: AppFactory, **overrides: object) -> tuple[Application, Application]:
    first = await start_app(leader_check_interval=INTERVAL, **overrides)
    second = await start_app(leader_check_interval=INTERVAL, **overrides)
    assert first.instance_id != second.instance_id
    assert first.role is InstanceRole.LEADER and second.role is InstanceRole.STANDBY
    return first, second


async def start_campaign(app: Application, telegram: FakeTelegramServer) -> ApiCall:
    await seed_residents(app, telegram, RESIDENTS)
    manager = telegram.user(id=MANAGER, first_name="李强", language_code="en")
    started = await say(telegram, manager, "/survey start")
    assert f"{RESIDENTS} residents" in started.params["text"]
    return started


async def all_invited(telegram: FakeTelegramServer, timeout: float = 60) -> list[ApiCall]:
    await telegram.recorder.wait_until(lambda: len(invitations(telegram)) >= RESIDENTS, timeout)
    await asyncio.sleep(1.0)  # nothing more comes (a second copy would show here)
    return invitations(telegram)


def each_resident_once(sent: list[ApiCall]) -> None:
    per_chat = Counter(call.params["chat_id"] for call in sent)
    assert len(per_chat) == RESIDENTS
    assert set(per_chat.values()) == {1}


def fleet_rate_within_limit(sent: list[ApiCall]) -> None:
    times = sorted(call.at for call in sent)
    # As Telegram counts (and the fake Bot API: a bucket of 30 refilled at 30/s), no
    # stretch of the campaign, nor the whole of it, carried more than 30 a second and a
    # burst of 30. (Its mean rate may be a little over 30: the bucket starts full.)
    assert len(times) <= TELEGRAM_PER_SECOND * (times[-1] - times[0] + 1)
    for seconds in (1.0, 2.0, 5.0):
        busiest = max(sum(1 for t in times if start <= t < start + seconds) for start in times)
        assert busiest <= TELEGRAM_PER_SECOND * (seconds + 1)


async def each_resident_invited_once_within_the_limit(telegram: FakeTelegramServer) -> None:
    """The whole campaign sent: once to each resident, within Telegram's limits."""
    sent = await all_invited(telegram)
    each_resident_once(sent)
    fleet_rate_within_limit(sent)
    assert telegram.stats["rate_limited"] == 0


async def mid_campaign(
    start_app: AppFactory, telegram: FakeTelegramServer
) -> tuple[Application, Application]:
    """Two instances under Telegram's limits (the leader, the standby); the leader has
    started a campaign and sent its first 60 invitations."""
    telegram.enforce_rate_limits = True
    leader, standby = await fleet(start_app, outbox_poll_interval=0.2)
    await start_campaign(leader, telegram)
    await telegram.recorder.wait_until(lambda: len(invitations(telegram)) >= 60, timeout=30)
    return leader, standby


async def test_two_instances_send_a_campaign_at_the_fleets_limit_once_each(
    start_app: AppFactory, telegram: FakeTelegramServer
) -> None:
    telegram.enforce_rate_limits = True
    # The leader's sender polls rarely: the campaign reaches it through NOTIFY.
    leader, standby = await fleet(start_app, outbox_poll_interval=5.0)
    leader.worker.stop_soon()  # the standby's worker handles the manager's /survey start
    await asyncio.sleep(0.1)

    started = await start_campaign(standby, telegram)
    await telegram.recorder.wait_until(lambda: bool(invitations(telegram)), timeout=3)
    assert invitations(telegram)[0].at - started.at < 2.0  # woken, not polled

    await each_resident_invited_once_within_the_limit(telegram)
    # The jobs run on the leader only.
    assert leader.scheduler.running and leader.scheduler.get_job("daily_digest") is not None
    assert not standby.scheduler.running and standby.scheduler.get_jobs() == []


async def test_when_the_leader_stops_mid_campaign_the_other_finishes_it(
    start_app: AppFactory, telegram: FakeTelegramServer
) -> None:
    leader, standby = await mid_campaign(start_app, telegram)

    await leader.stop()
    await eventually(lambda: standby.role is InstanceRole.LEADER, timeout=5)
    await each_resident_invited_once_within_the_limit(telegram)
    # The scheduler's jobs moved with the lead.
    assert standby.scheduler.running and standby.scheduler.get_job("daily_digest") is not None


async def test_when_the_leaders_lock_connection_dies_the_other_takes_over(
    start_app: AppFactory, telegram: FakeTelegramServer
) -> None:
    leader, standby = await mid_campaign(start_app, telegram)

    async with leader.sessionmaker() as session:
        await session.execute(
            text("SELECT pg_terminate_backend(:pid)"), {"pid": leader.leadership.backend_pid}
        )
    # Both notice on their own: the standby at its next try, the old leader once it has
    # reconnected and seen the database is reachable (the module allows a short overlap).
    await eventually(lambda: standby.role is InstanceRole.LEADER, timeout=5)
    await eventually(lambda: leader.role is InstanceRole.STANDBY, timeout=5)
    await each_resident_invited_once_within_the_limit(telegram)
    # The deposed leader's jobs stopped; the new leader's run.
    assert leader.scheduler.state == 2  # paused (apscheduler's STATE_PAUSED)
    assert standby.scheduler.running and standby.scheduler.get_job("sla_sweep") is not None
