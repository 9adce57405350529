"""The database goes away and comes back; the bot waits, loses nothing, and says so once.

How the database is taken away, on SQLite and on PostgreSQL: tests/e2e/outages.py (the
``outage`` fixture of tests/e2e/conftest.py).
"""

from __future__ import annotations

import asyncio
import logging
import subprocess
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from bot.app.application import Application, ApplicationFailed
from bot.clock import ManualClock
from bot.config.settings import Settings
from bot.presentation.outbox import enqueue_text
from fake_telegram import FakeTelegramServer
from fake_telegram.models import ApiCall
from storage.models import InboundStatus, InboundUpdate, OutboxMessage, OutboxStatus
from tests.conftest import eventually
from tests.e2e import test_sla_escalation as sla
from tests.e2e.bot_subprocess import bot_env, bot_processes
from tests.e2e.conftest import AppFactory
from tests.e2e.outages import BUSY_TIMEOUT, DatabaseOutage

LOOPS = ("update poller", "update worker", "outbox sender")


@pytest.fixture
async def bot(outage: DatabaseOutage, start_app: AppFactory) -> Application:
    """The bot, started on the database that ``outage`` can take away."""
    return await start_app(database_url=outage.url, sqlite_busy_timeout=BUSY_TIMEOUT)


def log_lines(caplog: pytest.LogCaptureFixture, loop: str, words: str) -> list[str]:
    return [
        r.getMessage()
        for r in caplog.records
        if r.name == "scheduler.resilience" and r.getMessage().startswith(f"{loop}: ")
        if words in r.getMessage()
    ]


def said_back_last(caplog: pytest.LogCaptureFixture, loop: str) -> bool:
    said = log_lines(caplog, loop, "")
    return bool(said) and "back to work" in said[-1]


def messages_to(telegram: FakeTelegramServer, chat_id: int, *, since: int) -> list[ApiCall]:
    return [
        c
        for c in telegram.calls
        if c.seq >= since and c.method == "sendMessage" and c.params.get("chat_id") == chat_id
    ]


async def all_outbox_settled(app: Application) -> bool:
    async with app.sessionmaker() as session:
        pending = await session.scalar(
            select(func.count()).where(OutboxMessage.status == OutboxStatus.PENDING)
        )
    return pending == 0


async def all_handled(app: Application) -> bool:
    async with app.sessionmaker() as session:
        statuses = (await session.scalars(select(InboundUpdate.status))).all()
        pending = await session.scalar(
            select(func.count()).where(OutboxMessage.status == OutboxStatus.PENDING)
        )
    return bool(statuses) and all(s is InboundStatus.DONE for s in statuses) and pending == 0


async def test_updates_offered_during_a_database_outage_are_all_handled_once_it_is_back(
    bot: Application,
    telegram: FakeTelegramServer,
    outage: DatabaseOutage,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger="scheduler.resilience")
    first = telegram.user(id=7201, first_name="小红", language_code="zh-hans")
    mark = telegram.mark()
    telegram.send_text(first, "/language")
    asked = await telegram.wait_for("sendMessage", chat_id=first.id, since=mark, timeout=15)
    assert asked.params["text"] == "请选择语言："
    await eventually(lambda: all_handled(bot), timeout=15)

    await outage.begin()
    residents = [telegram.user(id=7210 + i, first_name=f"住户{i}") for i in range(3)]
    mark = telegram.mark()
    for resident in residents:
        telegram.send_text(resident, "/language")
    telegram.send_text(first, "English")  # the next step of a conversation held in the FSM
    # Every loop meets the outage; the poller met it storing what Telegram offered.
    for loop in LOOPS:
        await eventually(lambda loop=loop: log_lines(caplog, loop, "unavailable"), timeout=30)
    # Nothing was confirmed to Telegram: it still holds all four updates.
    assert telegram.pending_updates() == 4
    assert bot.failure is None

    await outage.end()
    for resident in residents:
        asked = await telegram.wait_for("sendMessage", chat_id=resident.id, since=mark, timeout=60)
        assert asked.params["text"] == "请选择语言："
    answer = await telegram.wait_for("sendMessage", chat_id=first.id, since=mark, timeout=60)
    assert answer.params["text"] == "Language set to English."
    await eventually(lambda: all_handled(bot), timeout=30)
    assert telegram.pending_updates() == 0
    # Exactly once: one answer per update; each loop said it was waiting once, not once
    # per retry, and that it was back. (SQLite's lock here stops writes only: a loop whose
    # turn needed no write gets through and says it is back; its next write meets the
    # lock again: a new line then, as it is a new wait.)
    for chat in [*residents, first]:
        assert len(messages_to(telegram, chat.id, since=mark)) == 1
    for loop in LOOPS:
        await eventually(lambda loop=loop: said_back_last(caplog, loop), timeout=30)
        said = [line.startswith(f"{loop}: back") for line in log_lines(caplog, loop, "")]
        assert said == [False, True] * (len(said) // 2), said  # waiting, back, waiting, …
    assert bot.failure is None


async def test_a_bot_started_while_the_database_is_away_waits_for_it_and_then_answers(
    start_app: AppFactory,
    telegram: FakeTelegramServer,
    outage: DatabaseOutage,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A server still starting (or a file another process holds) when the bot starts: it
    says so once, waits, and starts when the database is there."""
    caplog.set_level(logging.INFO, logger="scheduler.resilience")
    await outage.begin()
    starting = asyncio.create_task(
        start_app(database_url=outage.url, sqlite_busy_timeout=BUSY_TIMEOUT)
    )
    await eventually(lambda: log_lines(caplog, "start-up", "unavailable"), timeout=30)
    await asyncio.sleep(1.0)  # a few tries: still waiting, said once
    assert not starting.done()
    assert len(log_lines(caplog, "start-up", "unavailable")) == 1

    await outage.end()
    bot = await asyncio.wait_for(starting, 60)
    assert bot.started and bot.failure is None
    assert said_back_last(caplog, "start-up")
    resident = telegram.user(id=7240, first_name="小丽", language_code="zh-hans")
    mark = telegram.mark()
    telegram.send_text(resident, "/language")
    asked = await telegram.wait_for("sendMessage", chat_id=resident.id, since=mark, timeout=30)
    assert asked.params["text"] == "请选择语言："


async def test_a_start_gives_up_on_a_database_away_longer_than_allowed(
    start_app: AppFactory, outage: DatabaseOutage
) -> None:
    await outage.begin()
    with pytest.raises(ApplicationFailed, match="start-up stopped"):
        await start_app(
            database_url=outage.url, sqlite_busy_timeout=BUSY_TIMEOUT, outage_give_up_seconds=1
        )


async def test_a_stop_asked_while_the_start_waits_for_the_database_ends_the_wait(
    settings: Settings, clock: ManualClock, outage: DatabaseOutage, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="scheduler.resilience")
    await outage.begin()
    app = Application(
        settings.model_copy(
            update={"database_url": outage.url, "sqlite_busy_timeout": BUSY_TIMEOUT}
        ),
        clock=clock,
    )
    starting = asyncio.create_task(app.start())
    try:
        await eventually(lambda: log_lines(caplog, "start-up", "unavailable"), timeout=30)
        app.request_stop()  # SIGTERM
        await asyncio.wait_for(starting, 10)
        assert not app.started
    finally:
        await app.stop()


async def test_a_message_sent_as_the_database_goes_away_is_recorded_when_it_is_back(
    bot: Application, telegram: FakeTelegramServer, outage: DatabaseOutage
) -> None:
    """Telegram took the message but the sender could not write that down: it is written
    down later, not sent again."""
    await eventually(lambda: all_outbox_settled(bot), timeout=15)  # the start's own messages
    chat_id = -1009000000100  # the sunshine project's group
    telegram.delay_next("sendMessage", 3.0, chat_id=chat_id)
    mark = telegram.mark()
    async with bot.sessionmaker() as session, session.begin():
        await enqueue_text(session, chat_id=chat_id, text="通知", now=bot.clock.now())
    bot.wake_sender()
    await telegram.wait_for("sendMessage", chat_id=chat_id, since=mark, timeout=15)
    await outage.begin()  # while Telegram's answer is still on its way
    await eventually(lambda: bot.sender.outage.ongoing, timeout=30)
    await outage.end()
    await eventually(lambda: all_outbox_settled(bot), timeout=30)
    async with bot.sessionmaker() as session:
        (status,) = (
            await session.scalars(
                select(OutboxMessage.status).where(OutboxMessage.chat_id == chat_id)
            )
        ).all()
    assert status is OutboxStatus.SENT
    assert len(messages_to(telegram, chat_id, since=mark)) == 1


@pytest.fixture
def bot_process(
    outage: DatabaseOutage, telegram: FakeTelegramServer, org_file: Path, tmp_path: Path
):
    with bot_processes(tmp_path) as start_bot:

        def start(**extra: str) -> subprocess.Popen:
            env = bot_env(
                outage.url, telegram, org_file, SQLITE_BUSY_TIMEOUT=str(BUSY_TIMEOUT), **extra
            )
            return start_bot(env, tmp_path / "bot.log")

        yield start


async def test_the_process_exits_non_zero_when_it_gives_up_waiting_for_the_database(
    bot_process, telegram: FakeTelegramServer, outage: DatabaseOutage, tmp_path: Path
) -> None:
    process = bot_process(OUTAGE_GIVE_UP_SECONDS="1")
    await telegram.wait_for("getUpdates", timeout=30)
    await outage.begin()
    resident = telegram.user(id=7230, first_name="小丽", language_code="zh-hans")
    telegram.send_text(resident, "/language")

    returncode = await asyncio.to_thread(process.wait, 90)

    log = (tmp_path / "bot.log").read_text(encoding="utf-8")
    assert returncode == 1, log
    assert "giving up" in log and "The bot stopped on an error" in log
    assert telegram.pending_updates() == 1  # not confirmed: Telegram offers it again later


async def test_the_sla_sweep_skips_its_runs_during_an_outage_and_escalates_once_it_is_back(
    outage: DatabaseOutage,
    start_app: AppFactory,
    telegram: FakeTelegramServer,
    clock: ManualClock,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """The scheduler's own SLA job, ticking every 0.2 s: each run in the outage ends with
    nothing done (one log line in all), the process keeps running, and the first run after
    it escalates what fell due meanwhile."""
    caplog.set_level(logging.INFO, logger="scheduler.resilience")
    bot = await start_app(
        database_url=outage.url, sqlite_busy_timeout=BUSY_TIMEOUT, sla_sweep_interval=0.2
    )
    (ticket,) = await sla.file_complaints(bot)
    await outage.begin()
    clock.advance(timedelta(hours=24))  # the response deadline has passed
    await eventually(lambda: log_lines(caplog, "job sla_sweep", "unavailable"), timeout=30)
    await asyncio.sleep(1.0)  # more runs meet the outage: no more lines, no escalation
    assert len(log_lines(caplog, "job sla_sweep", "unavailable")) == 1
    assert not [t for t in sla.sla_texts(telegram, sla.PROJECT) if t.startswith("🔺")]
    assert bot.failure is None

    await outage.end()
    await eventually(
        lambda: [t for t in sla.sla_texts(telegram, sla.PROJECT) if t.startswith("🔺")],
        timeout=30,
    )
    (escalation,) = [t for t in sla.sla_texts(telegram, sla.PROJECT) if t.startswith("🔺")]
    assert ticket.number in escalation
    await eventually(lambda: log_lines(caplog, "job sla_sweep", "back to work"), timeout=30)
    assert len(log_lines(caplog, "job sla_sweep", "unavailable")) == 1
    assert bot.failure is None
