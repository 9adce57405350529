"""The scheduler's jobs run on the fleet's leader only (``scheduler/leadership.py``):
with two instances on one PostgreSQL database the daily digest reaches each staff group
once, and when the leader stops, the new leader's jobs post nothing a second time."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest

from bot.app.application import Application
from bot.clock import ManualClock
from fake_telegram import FakeTelegramServer
from fake_telegram.models import ApiCall
from scheduler.jobs import send_daily_digests
from scheduler.leadership import InstanceRole
from tests.conftest import eventually
from tests.db import ON_POSTGRES
from tests.e2e.conftest import GROUPS, AppFactory
from tests.e2e.test_daily_digest import BEFORE_TIME
from tests.e2e.test_daily_digest import org_file as org_file  # digests at 10:00
from tests.integration.stats_fixtures import build_world_in

pytestmark = pytest.mark.skipif(
    not ON_POSTGRES, reason="several instances share a PostgreSQL database only"
)


def digests(telegram: FakeTelegramServer, since: int) -> list[ApiCall]:
    return [
        call
        for call in telegram.calls_of("sendMessage")
        if call.seq >= since
        and call.params.get("chat_id") in GROUPS
        and str(call.params.get("text", "")).startswith("🗓")
    ]


def run_jobs_now(app: Application) -> int:
    """Ask the instance's scheduler to run every job now; how many it has."""
    jobs = app.scheduler.get_jobs()
    for job in jobs:
        job.modify(next_run_time=datetime.now(UTC))
    return len(jobs)


async def test_the_daily_digest_is_posted_once_by_a_fleet_of_two(
    start_app: AppFactory, telegram: FakeTelegramServer, clock: ManualClock
) -> None:
    clock.set(BEFORE_TIME)
    leader = await start_app(leader_check_interval=0.2)
    standby = await start_app(leader_check_interval=0.2)
    assert leader.role is InstanceRole.LEADER and standby.role is InstanceRole.STANDBY
    await build_world_in(leader)

    clock.advance(hours=1)  # 10:00 in Shanghai: the digests are due
    mark = telegram.mark()
    assert run_jobs_now(standby) == 0  # a standby has no jobs
    assert run_jobs_now(leader) > 0
    await eventually(lambda: len(digests(telegram, mark)) >= 3, timeout=10)
    await asyncio.sleep(1.0)
    assert len(digests(telegram, mark)) == 3  # sunshine, the region, HQ: once each

    await leader.stop()
    await eventually(lambda: standby.role is InstanceRole.LEADER, timeout=5)
    assert run_jobs_now(standby) > 0  # the jobs moved with the lead
    await asyncio.sleep(1.5)
    assert len(digests(telegram, mark)) == 3  # nothing twice
    assert await send_daily_digests(standby) == 0
