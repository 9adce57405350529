"""GET /healthz and GET /metrics on the running bot (``HEALTH_PORT``), against the fake
Bot API: the health snapshot with its figures, 503 when the database is away or a loop
died, a standby that runs no sender is healthy; the counters move as residents write,
messages go out and deadlines escalate."""

from __future__ import annotations

import dataclasses
from collections import Counter
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from bot.app.application import Application
from bot.clock import ManualClock
from fake_telegram import FakeTelegramServer
from storage.db import create_engine, create_sessionmaker
from storage.models import InboundStatus, InboundUpdate, OutboxMessage, OutboxStatus
from tests.conftest import eventually
from tests.db import ON_POSTGRES
from tests.e2e import test_sla_escalation as sla
from tests.e2e.conftest import AppFactory
from tests.e2e.outages import DatabaseOutage
from tests.e2e.residents import file_leak_in_chat, registered_in_unit

METRIC_NAMES = (
    "resident_bot_updates_handled_total",
    "resident_bot_updates_failed_total",
    "resident_bot_update_handling_seconds_count",
    "resident_bot_outbox_sent_total",
    "resident_bot_outbox_pending",
    "resident_bot_outbox_oldest_pending_seconds",
    "resident_bot_inbox_pending",
    "resident_bot_inbox_oldest_pending_seconds",
    "resident_bot_sla_sweep_seconds_count",
    "resident_bot_database_up",
)


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(sla.START)


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


async def healthz(http: aiohttp.ClientSession, app: Application) -> tuple[int, dict[str, Any]]:
    async with http.get(f"{app.health_server.url}/healthz") as response:
        assert response.content_type == "application/json"
        return response.status, await response.json()


async def metrics(http: aiohttp.ClientSession, app: Application) -> dict[str, float]:
    """The scraped samples: ``name{labels}`` → value."""
    async with http.get(f"{app.health_server.url}/metrics") as response:
        assert response.status == 200
        assert response.headers["Content-Type"].startswith("text/plain; version=")
        text = await response.text()
    samples = {}
    for line in text.splitlines():
        if line and not line.startswith("#"):
            name, value = line.rsplit(" ", 1)
            samples[name] = float(value)
    return samples


async def test_healthz_is_200_with_the_backlogs_and_their_ages(
    start_app: AppFactory, http: aiohttp.ClientSession, clock: ManualClock
) -> None:
    app = await start_app(health_port=0)
    await sla.delivered(app)  # the staff menus queued at start
    now = clock.now()
    async with app.sessionmaker() as session, session.begin():
        # Waiting, not yet due: an update backing off and a message to send later.
        session.add(
            InboundUpdate(
                update_id=99_000_001,
                payload={"update_id": 99_000_001},
                chat_key="private:1",
                status=InboundStatus.PENDING,
                received_at=now,
                available_at=now + timedelta(days=1),
            )
        )
        session.add(
            OutboxMessage(
                chat_id=sla.PROJECT,
                method="sendMessage",
                payload={"text": "later"},
                status=OutboxStatus.PENDING,
                created_at=now,
                next_attempt_at=now + timedelta(days=1),
            )
        )
    clock.advance(timedelta(seconds=90))

    status, body = await healthz(http, app)

    assert status == 200, body
    assert body["status"] == "ok" and body["problems"] == []
    assert body["role"] == "leader" and body["instance"] == app.instance_id
    assert body["database"]["reachable"] is True
    assert body["scheduler"] == {"running": True, "expected": True}
    assert body["loops"] == {
        name: {"running": True, "expected": True} for name in ("poller", "worker", "sender")
    }
    assert body["inbox"] == {"pending": 1, "oldest_pending_seconds": 90.0}
    assert body["outbox"] == {"pending": 1, "oldest_pending_seconds": 90.0}
    samples = await metrics(http, app)
    assert samples["resident_bot_inbox_pending"] == 1
    assert samples["resident_bot_outbox_oldest_pending_seconds"] == 90
    assert samples["resident_bot_database_up"] == 1


async def test_healthz_is_503_while_the_database_is_unreachable(
    database_url: str,
    start_app: AppFactory,
    http: aiohttp.ClientSession,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    outage = DatabaseOutage(database_url)
    await outage.prepare()
    try:
        app = await start_app(health_port=0, database_url=outage.url)
        assert (await healthz(http, app))[0] == 200
        if ON_POSTGRES:
            await outage.begin()  # the proxy drops every connection and refuses new ones
        else:
            # SQLite has no server to lose (another writer's lock does not stop readers):
            # the database file cannot be opened any more.
            dead = create_engine(f"sqlite+aiosqlite:///{tmp_path}/gone/away.sqlite3")
            deps = dataclasses.replace(app.deps, sessionmaker=create_sessionmaker(dead))
            monkeypatch.setattr(app, "_deps", deps)

        status, body = await healthz(http, app)

        assert status == 503
        assert body["status"] == "unhealthy"
        assert body["database"]["reachable"] is False
        assert any(p.startswith("database unreachable") for p in body["problems"])
        assert "inbox" not in body and "outbox" not in body
        assert (await metrics(http, app))["resident_bot_database_up"] == 0

        if ON_POSTGRES:
            await outage.end()
        else:
            monkeypatch.undo()
            await dead.dispose()
        await eventually(lambda: _healthy(http, app), timeout=10)
    finally:
        await outage.close()


async def _healthy(http: aiohttp.ClientSession, app: Application) -> bool:
    return (await healthz(http, app))[0] == 200


async def test_healthz_is_503_when_a_loop_died(
    start_app: AppFactory, http: aiohttp.ClientSession, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = await start_app(health_port=0)

    async def broken() -> int:
        raise RuntimeError("a fault retrying cannot mend")

    monkeypatch.setattr(app.sender, "_one_batch", broken)
    app.sender.wake()
    await eventually(lambda: app.loops["sender"].done())

    status, body = await healthz(http, app)

    assert status == 503
    assert body["loops"]["sender"] == {"running": False, "expected": True}
    assert "sender stopped" in body["problems"] and "stopping" in body["problems"]
    assert body["loops"]["worker"]["running"] is True


async def test_a_standby_without_sender_and_scheduler_is_healthy(
    start_app: AppFactory, http: aiohttp.ClientSession
) -> None:
    app = await start_app(health_port=0)
    # What leadership does on an instance that is not the leader.
    app.is_leader = False
    app.sender.stop_soon()
    await eventually(lambda: app.loops["sender"].done())
    app.scheduler.pause()

    status, body = await healthz(http, app)

    assert status == 200, body
    assert body["role"] == "standby"
    assert body["loops"]["sender"] == {"running": False, "expected": False}
    assert body["scheduler"] == {"running": False, "expected": False}


async def test_metrics_count_updates_messages_and_escalations_by_level(
    start_app: AppFactory,
    telegram: FakeTelegramServer,
    http: aiohttp.ClientSession,
    clock: ManualClock,
) -> None:
    app = await start_app(health_port=0)
    await sla.delivered(app)  # the staff menus queued at start
    before = await metrics(http, app)
    for name in METRIC_NAMES:
        assert name in before, name
    assert before["resident_bot_updates_handled_total"] == 0

    resident = telegram.user(id=7301, first_name="小刚", language_code="zh-hans")
    await registered_in_unit(app, telegram, resident, "王小刚")
    await file_leak_in_chat(telegram, resident, "厨房水管漏水了")  # a card for the staff group
    await sla.delivered(app)

    after = await metrics(http, app)
    handled = after["resident_bot_updates_handled_total"]
    assert handled >= 6  # /start … ✅ 提交, each handled once
    assert after["resident_bot_update_handling_seconds_count"] == handled
    assert after["resident_bot_updates_failed_total"] == 0
    assert after["resident_bot_outbox_sent_total"] > before["resident_bot_outbox_sent_total"]
    assert after["resident_bot_outbox_pending"] == 0

    await sla.file_complaints(app)
    await sla.sweep_at(app, clock, 24)  # the response deadline passed: level 1, the project
    await sla.delivered(app)
    await sla.sweep_at(app, clock, 32)  # 8 h late: level 2, the region
    await sla.delivered(app)

    swept = await metrics(http, app)
    escalations = {
        key: value
        for key, value in swept.items()
        if key.startswith("resident_bot_escalations_total")
    }
    # The resident's leak and the complaint: each told the project, then the region.
    events = Counter((ladder, level) for ladder, level, _to in await sla.escalations(app))
    assert events == {("response", 1): 2, ("response", 2): 2}
    assert escalations == {
        f'resident_bot_escalations_total{{ladder="{ladder}",level="{level}"}}': float(count)
        for (ladder, level), count in events.items()
    }
    assert swept["resident_bot_sla_sweep_seconds_count"] >= 2
    assert swept["resident_bot_outbox_sent_total"] > after["resident_bot_outbox_sent_total"]
