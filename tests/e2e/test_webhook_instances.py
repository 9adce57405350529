"""Two real ``resident-bot webhook`` processes on one PostgreSQL database: a resident's
conversation is delivered to them in turn, one is killed (SIGKILL) in the middle, and
every update is still handled exactly once, every reply and notification sent once.

The test acts as Telegram (tests/e2e/webhook_support.py): each update goes to the next
instance; one not answered 200 (the instance is gone) is sent again to the other.
"""

from __future__ import annotations

import asyncio
import signal
import socket
import subprocess
from collections import Counter
from pathlib import Path
from types import SimpleNamespace

import pytest
from sqlalchemy import select

from bot.clock import SystemClock
from fake_telegram import FakeTelegramServer
from fake_telegram.models import ApiCall
from storage.db import create_engine, create_sessionmaker
from storage.models import InboundStatus, InboundUpdate, OutboxMessage, OutboxStatus, Ticket
from tests.conftest import eventually
from tests.db import ON_POSTGRES, read_all
from tests.e2e import residents
from tests.e2e.bot_subprocess import bot_env, bot_processes
from tests.e2e.webhook_support import PUBLIC_URL, SECRET, Forwarder

pytestmark = pytest.mark.skipif(
    not ON_POSTGRES,
    reason="several instances share one database only on PostgreSQL "
    "(SQLite means one instance); set TEST_POSTGRES_URL",
)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def delivered_ok(telegram: FakeTelegramServer) -> list[ApiCall]:
    """Calls Telegram accepted and applied (not a fault the test injected)."""
    return [
        c
        for c in telegram.calls
        if c.fault in (None, "delayed") and isinstance(c.response, dict) and c.response.get("ok")
    ]


async def test_two_instances_one_killed_every_update_handled_once(
    database_url: str, telegram: FakeTelegramServer, org_file: Path, tmp_path: Path
) -> None:
    ports = [free_port(), free_port()]
    urls = [f"http://127.0.0.1:{port}/telegram" for port in ports]
    engine = create_engine(database_url)
    db = SimpleNamespace(sessionmaker=create_sessionmaker(engine), clock=SystemClock())

    async def rows(query):
        async with db.sessionmaker() as session:
            return (await session.scalars(query)).all()

    with bot_processes(tmp_path) as start_bot:
        processes: list[subprocess.Popen] = []
        for number, port in enumerate(ports):
            env = bot_env(
                database_url,
                telegram,
                org_file,
                WEBHOOK_URL=PUBLIC_URL,
                WEBHOOK_SECRET=SECRET,
                WEBHOOK_PORT=str(port),
                UPDATE_LOCK_SECONDS="1",
                REQUEST_TIMEOUT="3",
            )
            processes.append(start_bot(env, tmp_path / f"bot{number}.log", "webhook"))
            # One after the other: the first start syncs the organisation into the empty
            # database (two first starts at once race on it).
            await eventually(
                lambda n=number: len(telegram.calls_of("setWebhook")) == n + 1, timeout=60
            )
        assert {c.params["secret_token"] for c in telegram.calls_of("setWebhook")} == {SECRET}
        assert not telegram.calls_of("getUpdates")

        user = telegram.user(id=7401, first_name="小明", language_code="zh-hans")
        try:
            async with Forwarder(telegram, *urls) as forwarder:
                await residents.register(telegram, user, "张小明")
                await residents.bind_directly(db, user.id, "101", building="1")  # type: ignore[arg-type]
                await residents.filing_until_description(
                    telegram, user, "🔧 报修", "漏水", "🏠 1号楼 101"
                )
                no_photos = await residents.say(telegram, user, "厨房水管漏水")
                # Everything queued so far has gone out: no outbox lease dies with the process.
                await eventually(lambda: outbox_idle(db), timeout=20)
                # And every update so far is marked done. The mark of one whose replies went
                # out waits a moment to go with others (runtime/sent_marks.py): on a loaded
                # machine the last message's row can still be replying when the press below
                # is handled by the same instance, and killing that instance would leave it
                # for the survivor to send again — not what this test is about.
                await eventually(lambda: all_done(db), timeout=20)

                # The answer to the next press never reaches Telegram, and the instance that
                # handled it is killed while it waits: the survivor sends it (once).
                telegram.delay_next("sendMessage", 60, chat_id=user.id, apply=False)
                mark = telegram.mark()
                pressed = telegram.press(user, residents.message_of(no_photos), text="不发照片")
                dropped = await telegram.wait_for(
                    "sendMessage", chat_id=user.id, since=mark, timeout=20
                )
                assert dropped.fault == "dropped"
                [owing] = await rows(
                    select(InboundUpdate).where(InboundUpdate.update_id == pressed["update_id"])
                )
                assert owing.status is InboundStatus.REPLYING, (owing.status, owing.locked_by)
                # The press's update is the only one in hand anywhere.
                others = await rows(
                    select(InboundUpdate.update_id).where(
                        InboundUpdate.status != InboundStatus.DONE,
                        InboundUpdate.update_id != owing.update_id,
                    )
                )
                assert not others, others
                victim = next(p for p in processes if f"-{p.pid}-" in (owing.locked_by or ""))
                victim.send_signal(signal.SIGKILL)
                victim.wait(timeout=10)
                survivor = next(p for p in processes if p is not victim)

                async def urgent_question() -> ApiCall | None:
                    return next(
                        (
                            c
                            for c in delivered_ok(telegram)
                            if c.seq > dropped.seq
                            and c.method == "sendMessage"
                            and c.params.get("chat_id") == user.id
                        ),
                        None,
                    )

                urgent = await eventually(urgent_question, timeout=30)
                summary = await residents.press(telegram, user, urgent, "否", timeout=20)
                filed = await residents.press(telegram, user, summary, "✅ 提交", timeout=20)
                assert filed.params["chat_id"] == user.id
                await eventually(lambda: outbox_idle(db), timeout=30)
                await eventually(lambda: all_done(db), timeout=30)
                await asyncio.sleep(1.5)  # anything sent twice would show by now
            assert survivor.poll() is None, "the survivor kept running"
        finally:
            await engine.dispose()

    # Every update stored once and handled (done), the survivor took what it could not.
    updates = await read_all(database_url, select(InboundUpdate))
    delivered_ids = {update_id for update_id, _url, _ in forwarder.deliveries}
    assert {u.update_id for u in updates} == delivered_ids
    assert all(u.status is InboundStatus.DONE for u in updates)
    # Both instances received updates; the dead one's updates went to the survivor.
    answered = [url for _, url, outcome in forwarder.deliveries if outcome == 200]
    assert set(answered) == set(urls)
    assert len(answered) == len(delivered_ids)

    tickets = await read_all(database_url, select(Ticket))
    assert len(tickets) == 1, "the ticket is filed once"
    ok = delivered_ok(telegram)
    # Each message the bot sent to the resident or the staff group, once.
    sent = Counter(
        (c.params.get("chat_id"), c.params.get("text") or c.params.get("caption"))
        for c in ok
        if c.method in ("sendMessage", "sendPhoto")
    )
    twice = {key: n for key, n in sent.items() if n > 1}
    assert not twice, twice
    cards = [
        c
        for c in ok
        if c.method in ("sendMessage", "sendPhoto")
        and c.params.get("chat_id") == residents.SUNSHINE_GROUP
        and tickets[0].number in str(c.params.get("text") or c.params.get("caption"))
    ]
    assert len(cards) == 1, "the staff group's card is sent once"
    outbox = await read_all(database_url, select(OutboxMessage))
    assert all(m.status is OutboxStatus.SENT for m in outbox)


async def outbox_idle(db: SimpleNamespace) -> bool:
    async with db.sessionmaker() as session:
        pending = (
            await session.scalars(
                select(OutboxMessage.id).where(OutboxMessage.status == OutboxStatus.PENDING)
            )
        ).all()
    return not pending


async def all_done(db: SimpleNamespace) -> bool:
    async with db.sessionmaker() as session:
        statuses = (await session.scalars(select(InboundUpdate.status))).all()
    return bool(statuses) and all(s is InboundStatus.DONE for s in statuses)
