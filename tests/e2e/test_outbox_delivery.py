"""Notifications queued in the outbox reach Telegram whatever it answers, once each."""

from __future__ import annotations

from datetime import timedelta

import asyncpg
import pytest
from sqlalchemy import select
from sqlalchemy.exc import DBAPIError

from bot.app.application import Application
from bot.clock import ManualClock
from bot.presentation import outbox
from bot.services import delivery_outcomes
from fake_telegram import ApiError, FakeTelegramServer
from fake_telegram.errors import too_many_requests
from storage.models import InactiveChat, OrgUnit, OutboxMessage, OutboxStatus, Person
from tests.conftest import eventually
from tests.e2e.conftest import AppFactory

GROUP = -1009000000100  # the sunshine project's staff group


async def queue(app: Application, chat_id: int, *texts: str) -> None:
    assert app.sessionmaker is not None and app.sender is not None
    async with app.sessionmaker() as session, session.begin():
        for text in texts:
            await outbox.enqueue_text(session, chat_id=chat_id, text=text, now=app.clock.now())
    app.sender.wake()


async def statuses(app: Application) -> list[tuple[str, OutboxStatus, int]]:
    assert app.sessionmaker is not None
    async with app.sessionmaker() as session:
        rows = (await session.scalars(select(OutboxMessage).order_by(OutboxMessage.id))).all()
    # Messages only: staff members' command menus are queued too, at start-up.
    return [(r.payload["text"], r.status, r.attempts) for r in rows if "text" in r.payload]


async def settled(app: Application) -> None:
    """Wait until the sender has recorded the outcome of every attempt in flight."""

    async def nothing_claimed() -> bool:
        assert app.sessionmaker is not None
        async with app.sessionmaker() as session:
            rows = (await session.scalars(select(OutboxMessage))).all()
        return all(r.locked_by is None for r in rows)

    await eventually(nothing_claimed)


def texts_in(telegram: FakeTelegramServer, chat_id: int) -> list[str]:
    return [m.data.get("text") for m in telegram.messages_in(chat_id)]


async def test_messages_are_delivered_in_order(
    app: Application, telegram: FakeTelegramServer
) -> None:
    await queue(app, GROUP, "first", "second", "third")
    await eventually(lambda: len(texts_in(telegram, GROUP)) == 3)
    assert texts_in(telegram, GROUP) == ["first", "second", "third"]
    await settled(app)
    assert {s for _, s, _ in await statuses(app)} == {OutboxStatus.SENT}


async def test_429_waits_retry_after_then_delivers_without_counting_a_failure(
    app: Application, telegram: FakeTelegramServer, clock: ManualClock
) -> None:
    telegram.fail_next("sendMessage", too_many_requests(7))
    await queue(app, GROUP, "flood-controlled", "next in line")
    await telegram.wait_for("sendMessage", lambda c: c.fault is not None)
    await settled(app)
    clock.advance(seconds=6)
    app.sender.wake()
    assert texts_in(telegram, GROUP) == []  # still waiting, and the next one waits behind it
    clock.advance(seconds=2)
    app.sender.wake()
    await eventually(lambda: len(texts_in(telegram, GROUP)) == 2)
    assert texts_in(telegram, GROUP) == ["flood-controlled", "next in line"]
    await settled(app)
    assert (await statuses(app))[0] == ("flood-controlled", OutboxStatus.SENT, 1)


async def test_server_errors_back_off_and_retry(
    app: Application, telegram: FakeTelegramServer, clock: ManualClock
) -> None:
    telegram.fail_next("sendMessage", ApiError(500, "Internal Server Error"), times=2)
    await queue(app, GROUP, "eventually")
    for attempt in range(1, 3):
        await telegram.wait_for("sendMessage", count=attempt)
        await settled(app)
        clock.advance(minutes=10)  # past any back-off
        app.sender.wake()
    await eventually(lambda: texts_in(telegram, GROUP) == ["eventually"])
    await settled(app)
    assert (await statuses(app)) == [("eventually", OutboxStatus.SENT, 3)]


async def test_repeated_failures_park_the_message_as_dead(
    start_app: AppFactory, telegram: FakeTelegramServer, clock: ManualClock
) -> None:
    app = await start_app(outbox_max_attempts=3)
    telegram.fail_next("sendMessage", ApiError(502, "Bad Gateway"), times=10)
    await queue(app, GROUP, "doomed")
    for _ in range(3):
        mark = telegram.mark()
        app.sender.wake()
        await telegram.wait_for("sendMessage", since=mark)
        await settled(app)
        clock.advance(minutes=10)
    await eventually(lambda: _status_is(app, OutboxStatus.DEAD))
    assert (await statuses(app))[0][2] == 3


async def _status_is(app: Application, status: OutboxStatus) -> bool:
    return [s for _, s, _ in await statuses(app)] == [status]


async def test_timeouts_are_retried(
    start_app: AppFactory, telegram: FakeTelegramServer, clock: ManualClock
) -> None:
    app = await start_app(request_timeout=0.5)
    telegram.delay_next("sendMessage", 3, chat_id=GROUP, apply=False)
    await queue(app, GROUP, "slow network")
    await eventually(lambda: _status_has_error(app), timeout=5)
    clock.advance(minutes=10)
    app.sender.wake()
    await eventually(lambda: texts_in(telegram, GROUP) == ["slow network"], timeout=5)


async def _status_has_error(app: Application) -> bool:
    assert app.sessionmaker is not None
    async with app.sessionmaker() as session:
        row = await session.scalar(select(OutboxMessage).where(OutboxMessage.chat_id == GROUP))
    return row is not None and row.last_error is not None and row.attempts == 1


async def test_blocked_recipient_is_marked_inactive_not_retried(
    app: Application, telegram: FakeTelegramServer, clock: ManualClock
) -> None:
    resident = telegram.user(id=7201, first_name="Carol", language_code="en")
    assert app.sessionmaker is not None
    async with app.sessionmaker() as session, session.begin():
        session.add(Person(telegram_id=resident.id, created_at=clock.now(), reachable=True))
    telegram.block_chat(resident.id)
    await queue(app, resident.id, "you will not see this")
    await eventually(lambda: _status_is(app, OutboxStatus.INACTIVE))
    clock.advance(hours=1)
    app.sender.wake()
    async with app.sessionmaker() as session:
        person = await session.scalar(select(Person).where(Person.telegram_id == resident.id))
    assert person is not None and person.reachable is False
    assert len(telegram.calls_of("sendMessage", chat_id=resident.id)) == 1  # no retry loop


async def test_group_upgraded_to_supergroup_is_followed(
    app: Application, telegram: FakeTelegramServer
) -> None:
    old_id, new_id = -4000100, -1009999999100  # a basic group, then its supergroup
    telegram.add_group(old_id, "阳光花园项目部", type="group")
    assert app.sessionmaker is not None
    async with app.sessionmaker() as session, session.begin():
        project = await session.scalar(select(OrgUnit).where(OrgUnit.key == "sunshine"))
        assert project is not None
        project.group_chat_id = old_id
    telegram.migrate_group(old_id, new_id)
    await queue(app, old_id, "to the new supergroup", "and this too")
    await eventually(lambda: len(texts_in(telegram, new_id)) == 2)
    assert texts_in(telegram, new_id) == ["to the new supergroup", "and this too"]
    assert app.sessionmaker is not None
    async with app.sessionmaker() as session:
        project = await session.scalar(select(OrgUnit).where(OrgUnit.key == "sunshine"))
    assert project is not None and project.group_chat_id == new_id


async def test_unparseable_markup_is_resent_as_plain_text(
    app: Application, telegram: FakeTelegramServer
) -> None:
    await queue(app, GROUP, "<b>SG-000001</b> pipe <burst> & flooding")
    await eventually(lambda: texts_in(telegram, GROUP) == ["SG-000001 pipe  & flooding"])


async def test_pending_messages_survive_a_restart(
    start_app: AppFactory, telegram: FakeTelegramServer, clock: ManualClock
) -> None:
    first = await start_app()
    telegram.fail_next("sendMessage", too_many_requests(30))
    await queue(first, GROUP, "after the restart")
    await telegram.wait_for("sendMessage", lambda c: c.fault is not None)
    await settled(first)
    await first.stop()
    clock.advance(timedelta(seconds=31))
    await start_app()
    await eventually(lambda: texts_in(telegram, GROUP) == ["after the restart"])


async def test_a_message_over_4096_characters_arrives_whole_in_parts_in_order(
    app: Application, telegram: FakeTelegramServer
) -> None:
    lines = [f"• <b>SG-{i:06d}</b> · 首次响应 · 超时 1天2小时 · 第 1 级" for i in range(300)]
    await queue(app, GROUP, "🔺 <b>300 张超时工单</b>:\n" + "\n".join(lines), "after it")
    await eventually(lambda: texts_in(telegram, GROUP)[-1:] == ["after it"], timeout=10)
    parts = texts_in(telegram, GROUP)[:-1]
    assert len(parts) >= 3 and all(len(p) <= 4096 for p in parts)
    delivered = "\n".join(parts)
    assert [f"SG-{i:06d}" in delivered for i in range(300)] == [True] * 300
    assert parts[0].startswith("🔺 300 张超时工单")
    await settled(app)
    assert {s for _, s, _ in await statuses(app)} == {OutboxStatus.SENT}


async def test_a_burst_to_one_chat_is_paced_under_telegrams_limits(
    app: Application, telegram: FakeTelegramServer
) -> None:
    telegram.enforce_rate_limits = True  # the fake answers 429 past ~1 message/s per chat
    resident = telegram.user(id=7301, first_name="Dora", language_code="en")
    await queue(app, resident.id, *[f"update {i}" for i in range(6)])
    await eventually(lambda: len(texts_in(telegram, resident.id)) == 6, timeout=15)
    assert texts_in(telegram, resident.id) == [f"update {i}" for i in range(6)]
    assert telegram.stats["rate_limited"] == 0


async def test_an_escalation_refused_by_a_staff_group_goes_one_level_up(
    app: Application, telegram: FakeTelegramServer
) -> None:
    region_group = -1009000000010
    assert app.sessionmaker is not None
    async with app.sessionmaker() as session:
        project = await session.scalar(select(OrgUnit).where(OrgUnit.key == "sunshine"))
    assert project is not None
    telegram.block_chat(GROUP)  # the bot was removed from the project's group
    async with app.sessionmaker() as session, session.begin():
        await outbox.enqueue(
            session,
            chat_id=GROUP,
            method="sendMessage",
            payload={"text": "🔺 <b>SG-000001</b> overdue", "parse_mode": "HTML"},
            now=app.clock.now(),
            ref=f"esct:7:{project.id}",  # ticket 7's escalation to the project
        )
    app.sender.wake()
    await eventually(lambda: len(texts_in(telegram, region_group)) == 1)
    (forwarded,) = texts_in(telegram, region_group)
    assert forwarded.startswith("⚠️") and "阳光花园" in forwarded
    assert forwarded.endswith("🔺 SG-000001 overdue")
    await settled(app)
    assert [s for _, s, _ in await statuses(app)] == [OutboxStatus.INACTIVE, OutboxStatus.SENT]
    async with app.sessionmaker() as session:
        refs = (
            await session.scalars(
                select(OutboxMessage.ref)
                .where(OutboxMessage.ref.startswith("esc"))
                .order_by(OutboxMessage.id)
            )
        ).all()
        region = await session.scalar(select(OrgUnit.id).where(OrgUnit.key == "east"))
    assert refs == [f"esct:7:{project.id}", f"esct:7:{region}"]  # still ticket 7's, up there
    async with app.sessionmaker() as session:
        assert await session.get(InactiveChat, GROUP) is not None
    assert len(telegram.calls_of("sendMessage", chat_id=GROUP)) == 1  # no retry loop


async def test_a_lost_answer_is_retried_and_only_that_can_repeat_a_message(
    start_app: AppFactory, telegram: FakeTelegramServer, clock: ManualClock
) -> None:
    app = await start_app(request_timeout=0.5)
    # Telegram applies the send but the answer never reaches us (client time-out).
    telegram.delay_next("sendMessage", 3, chat_id=GROUP, apply=True)
    await queue(app, GROUP, "answer lost", "next")

    async def first_failed_once() -> bool:
        rows = await statuses(app)
        return bool(rows) and rows[0] == ("answer lost", OutboxStatus.PENDING, 1)

    await eventually(first_failed_once, timeout=5)
    clock.advance(minutes=10)
    app.sender.wake()
    await eventually(lambda: texts_in(telegram, GROUP)[-1:] == ["next"], timeout=10)
    # At-least-once: the one whose answer was lost may show twice; nothing else does.
    assert texts_in(telegram, GROUP) == ["answer lost", "answer lost", "next"]


async def test_a_sent_message_whose_outcome_lost_a_race_is_recorded_later_not_sent_again(
    app: Application, telegram: FakeTelegramServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Telegram took the message; writing that down was aborted by PostgreSQL to end a
    deadlock. The sender writes it down on its next try instead of stopping (which
    stopped the bot, and sent the message again after the restart)."""
    reachable = delivery_outcomes.group_reachable
    races: list[int] = []

    async def deadlocked_once(session, chat_id, **kwargs) -> None:
        await reachable(session, chat_id, **kwargs)
        if chat_id == GROUP and not races:
            races.append(chat_id)
            raise DBAPIError.instance(
                "UPDATE", None, asyncpg.exceptions.DeadlockDetectedError("deadlock"), Exception
            )

    monkeypatch.setattr(delivery_outcomes, "group_reachable", deadlocked_once)
    await queue(app, GROUP, "once")
    await eventually(lambda: races)
    await settled(app)
    await eventually(lambda: not app.sender.outage.ongoing)
    assert texts_in(telegram, GROUP) == ["once"]
    assert [(text, status) for text, status, _ in await statuses(app)] == [
        ("once", OutboxStatus.SENT)
    ]
    assert app.failure is None and not app.loops["sender"].done()
