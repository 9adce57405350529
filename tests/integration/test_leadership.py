"""Leader election on PostgreSQL (``scheduler/leadership.py``): one instance of a fleet
leads; when it stops or its connection dies, a standby takes over; a standby wakes the
leader through NOTIFY. With SQLite the one instance leads. And the inbox claim across
workers: a chat another worker is still answering waits."""

from __future__ import annotations

import asyncio
import contextlib
from collections import Counter
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.presentation import outbox
from scheduler.leadership import InstanceRole, Leadership, _lock_key
from storage import inbox, outbox_queue
from tests.conftest import eventually
from tests.db import ON_POSTGRES
from tests.e2e.tcp_proxy import TcpProxy
from tests.integration.test_inbox import claim, message_update

INTERVAL = 0.1
on_postgres = pytest.mark.skipif(
    not ON_POSTGRES, reason="several instances share a PostgreSQL database only"
)


def member(url: str, name: str, events: Counter[str], key: int) -> Leadership:
    return Leadership(
        url,
        instance_id=name,
        interval=INTERVAL,
        on_elected=lambda: events.update([f"{name} elected"]),
        on_deposed=lambda: events.update([f"{name} deposed"]),
        on_wake=lambda: events.update([f"{name} woken"]),
        lock_key=key,
    )


@contextlib.asynccontextmanager
async def running(*members: Leadership) -> AsyncIterator[None]:
    """The members started in order (the first leads) and all stopped at the end."""
    try:
        for one in members:
            await one.start()
        yield
    finally:
        for one in members:
            await one.stop()


@pytest.fixture
def key(request: pytest.FixtureRequest) -> int:
    """A lock of the test's own (a running bot elsewhere on the server keeps its own)."""
    return _lock_key(request.node.nodeid)


@pytest.fixture
def events() -> Counter[str]:
    """What the members said, as ``"<name> elected"`` and so on, counted."""
    return Counter()


@pytest.fixture
async def pair(
    database_url: str, events: Counter[str], key: int
) -> AsyncIterator[tuple[Leadership, Leadership]]:
    """Members a and b of one fleet on the test's database, running (a leads)."""
    first, second = member(database_url, "a", events, key), member(database_url, "b", events, key)
    async with running(first, second):
        yield first, second


async def test_with_sqlite_the_one_instance_leads_at_once(tmp_path, events: Counter[str]) -> None:
    one = member(f"sqlite+aiosqlite:///{tmp_path / 'x.sqlite3'}", "one", events, 1)
    await one.start()
    assert one.single and one.is_leader() and one.role is InstanceRole.LEADER
    assert one.backend_pid is None
    one.notify()  # the leader wakes its own sender
    assert events == Counter({"one elected": 1, "one woken": 1})
    await one.stop()


@on_postgres
async def test_one_leads_and_a_standby_takes_over_when_it_stops(
    pair: tuple[Leadership, Leadership], events: Counter[str]
) -> None:
    first, second = pair
    assert first.is_leader() and not second.is_leader()
    await asyncio.sleep(INTERVAL * 3)
    assert second.role is InstanceRole.STANDBY  # it keeps trying, and keeps failing

    await first.stop()
    await eventually(second.is_leader, timeout=INTERVAL * 20)
    assert not first.is_leader()
    assert events == Counter({"a elected": 1, "a deposed": 1, "b elected": 1})


class SwallowsOneCancellation(Leadership):
    """A leader whose lock check finishes just as it is cancelled: Python 3.11's
    ``asyncio.wait_for`` then returns the check's result instead of raising, and the
    cancellation is lost. ``checking`` is set once a check is under way."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.checking = asyncio.Event()

    async def _check(self) -> None:
        self.checking.set()
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.sleep(3600)


@on_postgres
async def test_a_leader_stops_even_when_a_check_swallowed_the_cancellation(
    database_url: str, key: int, events: Counter[str]
) -> None:
    leader = SwallowsOneCancellation(
        database_url,
        instance_id="a",
        interval=INTERVAL,
        on_elected=lambda: events.update(["a elected"]),
        on_deposed=lambda: events.update(["a deposed"]),
        lock_key=key,
    )
    await leader.start()
    assert leader.is_leader()
    await asyncio.wait_for(leader.checking.wait(), INTERVAL * 20)
    stopping = asyncio.create_task(leader.stop())
    await asyncio.wait({stopping}, timeout=10)
    assert stopping.done(), "the stop hangs"  # it did for ever before
    assert not leader.is_leader()
    assert events == Counter({"a elected": 1, "a deposed": 1})


@on_postgres
async def test_the_leader_whose_connection_dies_steps_down_and_another_leads(
    pair: tuple[Leadership, Leadership], events: Counter[str], engine: AsyncEngine
) -> None:
    first, second = pair
    assert first.is_leader()
    async with engine.connect() as connection:
        await connection.execute(
            text("SELECT pg_terminate_backend(:pid)"), {"pid": first.backend_pid}
        )
    await eventually(lambda: events["a deposed"] == 1, timeout=INTERVAL * 20)
    await eventually(second.is_leader, timeout=INTERVAL * 20)
    await asyncio.sleep(INTERVAL * 3)
    assert not first.is_leader()  # it reconnected, and stands by
    assert first.backend_pid is not None
    assert events["b elected"] == 1 and events["a elected"] == 1


@on_postgres
async def test_a_leader_that_cannot_reach_the_database_keeps_the_role_until_it_is_back(
    database_url: str, key: int, events: Counter[str]
) -> None:
    """An outage: the leader's lock is gone and it cannot reconnect; it keeps its role
    (nothing leader-only works without the database anyway). Back, it finds another took
    the lock meanwhile (that one could reach the database) and steps down."""
    url = make_url(database_url)
    proxy = TcpProxy(url.host or "127.0.0.1", url.port or 5432)
    await proxy.start()
    through_proxy = url.set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False)
    first = member(through_proxy, "a", events, key)
    second = member(database_url, "b", events, key)
    try:
        async with running(first, second):
            assert first.is_leader()
            await proxy.cut()
            await eventually(second.is_leader, timeout=INTERVAL * 30)
            await asyncio.sleep(INTERVAL * 5)
            assert first.is_leader() and events["a deposed"] == 0  # waiting out its outage

            await proxy.restore()
            await eventually(lambda: events["a deposed"] == 1, timeout=INTERVAL * 30)
            assert second.is_leader() and not first.is_leader()
    finally:
        await proxy.stop()


@on_postgres
async def test_a_standby_wakes_the_leaders_sender_through_postgresql(
    pair: tuple[Leadership, Leadership], events: Counter[str]
) -> None:
    second = pair[1]  # the standby
    second.notify()
    await eventually(lambda: events["a woken"] >= 1, timeout=2)
    assert events["b woken"] == 0


async def test_a_chat_another_worker_is_still_answering_waits(sessionmaker, clock) -> None:
    """Worker a handled the chat's first update and is sending its replies (the row is
    *replying* under a's lease): worker b does not take the chat's next update, which
    could be answered first; a itself chains it behind, and b may once a's lease ran out."""
    async with sessionmaker() as session, session.begin():
        await inbox.store_updates(session, [message_update(1, 10)], clock.now())
    assert await claim(sessionmaker, clock, "a") == [1]
    async with sessionmaker() as session, session.begin():
        calls = [{"method": "sendMessage", "params": {"chat_id": 10, "text": "ok"}}]
        assert await inbox.mark_done(
            session, 1, clock.now(), calls=calls, owner="a", lease=timedelta(minutes=2)
        )
        await inbox.store_updates(
            session, [message_update(3, 10), message_update(4, 30)], clock.now()
        )
    assert await claim(sessionmaker, clock, "b") == [4]  # chat 10 waits for a's replies
    async with sessionmaker() as session, session.begin():
        await inbox.mark_done(session, 4, clock.now())
    clock.advance(minutes=3)  # a died: its lease ran out (its replies go to the outbox)
    assert await claim(sessionmaker, clock, "b") == [3]


async def test_the_worker_answering_a_chat_takes_its_next_update(sessionmaker, clock) -> None:
    async with sessionmaker() as session, session.begin():
        await inbox.store_updates(session, [message_update(1, 10)], clock.now())
    assert await claim(sessionmaker, clock, "a") == [1]
    async with sessionmaker() as session, session.begin():
        calls = [{"method": "sendMessage", "params": {"chat_id": 10, "text": "ok"}}]
        await inbox.mark_done(session, 1, clock.now(), calls=calls, owner="a")
        await inbox.store_updates(session, [message_update(2, 10)], clock.now())
    assert await claim(sessionmaker, clock, "a") == [2]


async def test_a_new_leader_frees_what_a_vanished_senders_claimed(sessionmaker) -> None:
    now = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
    async with sessionmaker() as session, session.begin():
        for chat_id in (1, 2, 3):
            await outbox.enqueue_text(session, chat_id=chat_id, text="hello", now=now)
    async with sessionmaker() as session, session.begin():
        old = await outbox_queue.claim_due(session, "old", now, timedelta(minutes=2), limit=2)
        mine = await outbox_queue.claim_due(session, "new", now, timedelta(minutes=2))
    assert [m.chat_id for m in old] == [1, 2] and [m.chat_id for m in mine] == [3]
    async with sessionmaker() as session, session.begin():
        assert await outbox_queue.release_locks_of_others(session, "new") == 2
        again = await outbox_queue.claim_due(session, "new", now, timedelta(minutes=2))
    assert [m.chat_id for m in again] == [1, 2]  # the new leader's own claim stays its own
