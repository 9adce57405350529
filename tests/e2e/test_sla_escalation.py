"""Deadlines enforced end to end: the clock moves, the sweep runs, the groups hear about it.

Tickets are filed through the lifecycle service (the resident flows have their own
tests); time is the app's ManualClock; the sweep is the scheduler's job function,
called directly. What the groups receive is read from the fake Bot API.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from sqlalchemy import func, select, update

from bot.app.application import Application
from bot.app.context import Context
from bot.clock import ManualClock
from bot.services.tickets import lifecycle
from bot.services.tickets.lifecycle import TicketDraft
from fake_telegram import FakeTelegramServer
from scheduler import jobs
from scheduler.sla_sweep import SlaSweeper
from storage.db import create_engine, create_sessionmaker
from storage.models import OrgUnit, OutboxMessage, Ticket, TicketEvent, TicketKind
from tests.conftest import eventually
from tests.e2e.conftest import AppFactory
from tests.integration.ticket_fixtures import actor, add_resident, project_id

PROJECT = -1009000000100  # sunshine
REGION = -1009000000010  # east
HQ = -1009000000001
AGENT = 5001


def ctx(app: Application) -> Context:
    assert app.organisation is not None
    return Context(org=app.organisation, now=app.clock.now())


async def file_complaints(
    app: Application, count: int = 1, *, first_resident: int = 7100, **draft
) -> list[Ticket]:
    assert app.sessionmaker is not None
    tickets = []
    async with app.sessionmaker() as session, session.begin():
        project = await project_id(session, "sunshine")
        for i in range(count):
            telegram_id = first_resident + i
            resident = await add_resident(session, telegram_id, f"住户{i}", app.clock.now())
            fields = {"kind": TicketKind.COMPLAINT, "description": f"楼道噪音 {i}"} | draft
            tickets.append(
                await lifecycle.create_ticket(
                    session, ctx(app), resident, TicketDraft(project_id=project, **fields)
                )
            )
    # Cards first: delivering a card writes its message id on the ticket, and a sweep
    # on PostgreSQL skips (SKIP LOCKED) a ticket row another transaction holds.
    await delivered(app)
    return tickets


async def take(app: Application, ticket: Ticket, telegram_id: int = AGENT) -> None:
    assert app.sessionmaker is not None
    async with app.sessionmaker() as session, session.begin():
        staff = await actor(session, telegram_id)
        await lifecycle.take(session, ctx(app), ticket.id, staff, None)


async def resolve(app: Application, ticket: Ticket, telegram_id: int = AGENT) -> None:
    assert app.sessionmaker is not None
    async with app.sessionmaker() as session, session.begin():
        staff = await actor(session, telegram_id)
        await lifecycle.resolve(session, ctx(app), ticket.id, staff, "已处理")


async def sweep_at(app: Application, clock: ManualClock, hours: float) -> None:
    """Move the clock to ``hours`` after the start of the test and run the sweep."""
    target = START + timedelta(hours=hours)
    if target > clock.now():
        clock.set(target)
    await jobs.sweep_sla_deadlines(app)
    assert app.sender is not None
    app.sender.wake()


START = ManualClock().now()


def texts(telegram: FakeTelegramServer, chat_id: int) -> list[str]:
    return [m.data.get("text") or "" for m in telegram.messages_in(chat_id)]


def sla_texts(telegram: FakeTelegramServer, chat_id: int) -> list[str]:
    """Messages about deadlines (not ticket cards)."""
    return [t for t in texts(telegram, chat_id) if t.startswith(("🔺", "⏰", "💬", "⚠️"))]


async def delivered(app: Application) -> None:
    """Wait until the outbox is empty of pending messages."""
    assert app.sessionmaker is not None

    async def nothing_pending() -> bool:
        async with app.sessionmaker() as session:
            pending = await session.scalar(
                select(func.count()).where(OutboxMessage.status == "pending")
            )
        return pending == 0

    await eventually(nothing_pending, timeout=10)


async def escalations(app: Application) -> list[tuple[str, int, str]]:
    assert app.sessionmaker is not None
    async with app.sessionmaker() as session:
        events = (
            await session.scalars(
                select(TicketEvent).where(TicketEvent.kind == "escalated").order_by(TicketEvent.id)
            )
        ).all()
    return [(e.data["ladder"], e.data["level"], e.data["to"]) for e in events]


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(START)


async def test_unanswered_complaint_climbs_the_response_ladder_until_staff_respond(
    app: Application, telegram: FakeTelegramServer, clock: ManualClock
) -> None:
    (ticket,) = await file_complaints(app)
    await sweep_at(app, clock, 17.9)
    await delivered(app)
    assert sla_texts(telegram, PROJECT) == []

    await sweep_at(app, clock, 18)  # 75 % of the 24 h target
    await delivered(app)
    (warning,) = sla_texts(telegram, PROJECT)
    assert warning.startswith("⏰") and "SG-000001" in warning and "6 小时后到期" in warning

    await sweep_at(app, clock, 24)
    await delivered(app)
    assert len(sla_texts(telegram, PROJECT)) == 2
    escalation = sla_texts(telegram, PROJECT)[-1]
    assert escalation.startswith("🔺") and "SG-000001" in escalation
    buttons = telegram.messages_in(PROJECT)[-1].data["reply_markup"]["inline_keyboard"][0]
    assert [b["callback_data"].split(":")[:3] for b in buttons] == [
        ["tk", "take", str(ticket.id)],
        ["tk", "reassign", str(ticket.id)],
        ["tk", "details", str(ticket.id)],
    ]
    assert sla_texts(telegram, REGION) == [] and sla_texts(telegram, HQ) == []

    await sweep_at(app, clock, 31.9)
    await delivered(app)
    assert sla_texts(telegram, REGION) == []
    await sweep_at(app, clock, 32)  # region: 8 h after the deadline
    await delivered(app)
    (region,) = sla_texts(telegram, REGION)
    assert "SG-000001" in region and "8 小时" in region  # overdue by 8 h
    assert "处理人：未分配" in region  # nobody has taken it, in the digest's words

    await take(app, ticket)  # staff respond: the response ladder stops
    await eventually(  # the card says the answer came, and came late
        lambda: "（响应超时）" in (telegram.messages_in(PROJECT)[0].text or "")
    )
    # Each escalation follows the ticket: where it stands now, and no Take any more.
    for group in (PROJECT, REGION):
        escalated = next(m for m in telegram.messages_in(group) if (m.text or "").startswith("🔺"))
        await eventually(lambda m=escalated: "当前：" in (m.text or ""))
        assert (escalated.text or "").endswith("\n\n👀 当前：已接单 · 处理人：王芳")
        assert "首次响应已超时" in (escalated.text or "")  # what was late stays above
        assert escalated.button_texts() == ["转派", "详情"]
    # So does the warning sent before, to the group: nobody held the ticket then.
    warned = next(m for m in telegram.messages_in(PROJECT) if (m.text or "").startswith("⏰"))
    await eventually(lambda: "当前：" in (warned.text or ""))
    assert (warned.text or "").endswith("处理人：未分配。\n\n👀 当前：已接单 · 处理人：王芳")
    assert warned.button_texts() == ["转派", "详情"]
    await sweep_at(app, clock, 48)  # HQ would have been told now; the resolution deadline is due
    await delivered(app)
    assert sla_texts(telegram, HQ) == []
    assert await escalations(app) == [
        ("response", 1, "project"),
        ("response", 2, "region"),
        ("resolution", 1, "project"),
    ]


async def test_an_escalation_follows_its_ticket_moved_to_another_project_and_resolved(
    app: Application, telegram: FakeTelegramServer, clock: ManualClock
) -> None:
    (ticket,) = await file_complaints(app)
    await sweep_at(app, clock, 32)  # the project and the region have been told
    await delivered(app)
    (region,) = [m for m in telegram.messages_in(REGION) if (m.text or "").startswith("🔺")]
    assert region.button_texts() == ["接单", "转派", "详情"]
    (old_project,) = [m for m in telegram.messages_in(PROJECT) if (m.text or "").startswith("🔺")]

    assert app.sessionmaker is not None
    async with app.sessionmaker() as session, session.begin():  # the region's manager
        plaza = await project_id(session, "plaza")
        await lifecycle.reassign(
            session, ctx(app), ticket.id, await actor(session, 5010), to_project_id=plaza
        )
    await eventually(lambda: "当前：" in (region.text or ""))
    assert (region.text or "").endswith("\n\n🆕 当前：待处理 · 处理人：未分配")
    assert region.button_texts() == ["接单", "转派", "详情"]  # nobody holds it in plaza yet
    # The project it left reads where it went, with nothing left for it to press.
    await eventually(lambda: "当前：" in (old_project.text or ""))
    assert (old_project.text or "").endswith("\n\n➡️ 当前：已转到 星河广场")
    assert "SG-000001" in (old_project.text or "")  # what was late stays above
    assert old_project.button_texts() == []

    await take(app, ticket, 5010)
    await resolve(app, ticket, 5010)
    await eventually(lambda: "已解决" in (region.text or "").rsplit("\n", 1)[-1])
    assert (region.text or "").endswith("\n\n✅ 当前：已解决 · 处理人：陈静")
    assert region.button_texts() == ["详情"]
    assert (region.text or "").count("当前：") == 1  # the line replaced, never added to
    assert (old_project.text or "").endswith("\n\n➡️ 当前：已转到 星河广场")  # not theirs now


async def test_a_digest_follows_its_tickets_taken_moved_and_resolved(
    app: Application, telegram: FakeTelegramServer, clock: ManualClock
) -> None:
    tickets = await file_complaints(app, 5)  # digest_threshold: five at once make a digest
    await sweep_at(app, clock, 18)  # the project is warned, in a digest too
    await sweep_at(app, clock, 32)  # the project and the region have each had a digest
    await delivered(app)
    (warned,) = [m for m in telegram.messages_in(PROJECT) if (m.text or "").startswith("⏰")]
    assert (warned.text or "").startswith("⏰ 5 张工单即将到期：")
    (project,) = [m for m in telegram.messages_in(PROJECT) if (m.text or "").startswith("🔺")]
    (region,) = [m for m in telegram.messages_in(REGION) if (m.text or "").startswith("🔺")]
    assert (region.text or "").startswith("🔺 5 张超时工单需要处理：")
    # The region's digest says each ticket's project; the project's own need not.
    assert f"• {tickets[0].number} · 阳光花园 · 首次响应 · 超时" in (region.text or "")
    assert "阳光花园" not in (project.text or "")
    numbers = [t.number for t in tickets]

    await take(app, tickets[0])
    assert app.sessionmaker is not None
    async with app.sessionmaker() as session, session.begin():  # the region's manager
        plaza = await project_id(session, "plaza")
        await lifecycle.reassign(
            session, ctx(app), tickets[1].id, await actor(session, 5010), to_project_id=plaza
        )
    await resolve(app, tickets[0])
    await eventually(lambda: "✅" in (project.text or "").split("当前：")[-1])
    await eventually(lambda: "✅" in (region.text or "").split("当前：")[-1])
    waiting = [f"🆕 {n} · 待处理 · 处理人：未分配" for n in numbers[2:]]
    # Under the digest's words, where each of its tickets stands now; the project reads
    # where the moved one went, the region (plaza is in it too) where it stands there.
    assert (project.text or "").endswith(
        "\n\n"
        + "\n".join(
            [
                "当前：",
                f"✅ {numbers[0]} · 已解决 · 处理人：王芳",
                f"➡️ {numbers[1]} · 已转到 星河广场",
                *waiting,
            ]
        )
    ), project.text
    assert (region.text or "").endswith(
        "\n\n"
        + "\n".join(
            [
                "当前：",
                f"✅ {numbers[0]} · 已解决 · 处理人：王芳",
                f"🆕 {numbers[1]} · 待处理 · 处理人：未分配",
                *waiting,
            ]
        )
    ), region.text
    assert (region.text or "").count("当前：") == 1  # the block replaced, never added to
    assert "超时" in (region.text or "").split("当前：")[0]  # what was late stays above
    assert region.button_texts() == numbers  # Details of each, as sent
    # The warnings' digest follows its tickets the same way.
    assert (warned.text or "").endswith((project.text or "").split("\n\n")[-1]), warned.text
    mark = telegram.mark()
    manager = telegram.user(id=5010, first_name="刘洋", language_code="zh-hans")
    telegram.press(manager, region, text=numbers[0])
    details = await telegram.wait_for("sendMessage", chat_id=5010, since=mark)
    assert numbers[0] in details.params["text"] and "已解决" in details.params["text"]


async def test_warnings_for_a_project_without_a_group_go_up_naming_the_project(
    app: Application, telegram: FakeTelegramServer, clock: ManualClock
) -> None:
    """Warnings a project's group cannot take go to the region's, whose digest may list
    several projects: each line says which."""
    tickets = await file_complaints(app, 5)
    assert app.sessionmaker is not None
    async with app.sessionmaker() as session, session.begin():  # sunshine's group unbound
        await session.execute(
            update(OrgUnit).where(OrgUnit.key == "sunshine").values(group_chat_id=None)
        )
    await sweep_at(app, clock, 18)
    await delivered(app)
    (warned,) = [m for m in telegram.messages_in(REGION) if (m.text or "").startswith("⏰")]
    assert (warned.text or "").startswith("⏰ 5 张工单即将到期：")
    for ticket in tickets:
        assert f"• {ticket.number} · 阳光花园 · 首次响应将在 6 小时后到期" in (warned.text or "")


async def test_resolution_ladder_continues_until_resolved(
    app: Application, telegram: FakeTelegramServer, clock: ManualClock
) -> None:
    (ticket,) = await file_complaints(app)
    await sweep_at(app, clock, 1)
    await take(app, ticket)
    for hours in (36, 48, 60, 72):
        await sweep_at(app, clock, hours)
    await delivered(app)
    assert await escalations(app) == [
        ("resolution", 1, "project"),
        ("resolution", 2, "region"),
        ("resolution", 3, "hq"),
    ]
    assert len(sla_texts(telegram, HQ)) == 1
    await resolve(app, ticket)
    await sweep_at(app, clock, 120)  # level 4 would be due now
    await delivered(app)
    assert len(await escalations(app)) == 3
    assert len(sla_texts(telegram, HQ)) == 1


async def test_warning_goes_to_the_assignee_privately(
    app: Application, telegram: FakeTelegramServer, clock: ManualClock
) -> None:
    agent = telegram.user(id=AGENT, first_name="王芳", language_code="zh-hans")
    (ticket,) = await file_complaints(app)
    await take(app, ticket)
    await sweep_at(app, clock, 35.9)
    await delivered(app)
    assert sla_texts(telegram, agent.id) == []
    await sweep_at(app, clock, 36)  # 75 % of 48 h
    await delivered(app)
    (warning,) = sla_texts(telegram, agent.id)
    assert "SG-000001" in warning and "12 小时" in warning
    assert "2026-11-04 09:00" in warning  # the deadline, in the project's timezone
    sent = next(m for m in telegram.messages_in(agent.id) if (m.text or "").startswith("⏰"))
    assert sent.button_texts() == ["转派", "详情"]  # no Take: it is theirs already
    await sweep_at(app, clock, 37)
    await delivered(app)
    assert len(sla_texts(telegram, agent.id)) == 1  # once


async def test_a_hundred_overdue_tickets_give_one_digest_per_group(
    start_app: AppFactory, telegram: FakeTelegramServer, clock: ManualClock
) -> None:
    # 100 ticket cards would take five minutes at 20 a minute: pace for a fast test.
    app = await start_app(outbox_group_per_minute=10_000, outbox_chat_per_second=1_000)
    tickets = await file_complaints(app, 100)
    await sweep_at(app, clock, 18)  # a hundred warnings: one digest
    await sweep_at(app, clock, 24)
    await sweep_at(app, clock, 32)
    await delivered(app)
    assert app.sessionmaker is not None
    async with app.sessionmaker() as session:
        rows = (
            await session.scalars(
                select(OutboxMessage).where(OutboxMessage.chat_id.in_([PROJECT, REGION]))
            )
        ).all()
    sla_rows = [r for r in rows if r.payload["text"].startswith(("🔺", "⏰"))]
    by_chat = {chat: [r for r in sla_rows if r.chat_id == chat] for chat in (PROJECT, REGION)}
    headers = {
        chat: [r for r in rs if "<b>100 " in r.payload["text"]] for chat, rs in by_chat.items()
    }
    assert len(headers[PROJECT]) == 2  # the warning digest and the escalation digest
    assert len(headers[REGION]) == 1
    region_text = "\n".join(texts(telegram, REGION))  # the digest, in two parts (4096 limit)
    assert len(texts(telegram, REGION)) == 2
    assert all(t.number in region_text for t in tickets)
    assert len(await escalations(app)) == 200
    # A digest Telegram got in parts (the ref on the last) is left as sent.
    await take(app, tickets[-1])
    await delivered(app)
    assert "\n".join(texts(telegram, REGION)) == region_text


async def test_restart_after_three_days_of_downtime_catches_up_once(
    start_app: AppFactory, telegram: FakeTelegramServer, clock: ManualClock
) -> None:
    first = await start_app()
    tickets = await file_complaints(first, 3)
    await delivered(first)
    await first.stop()

    clock.set(START + timedelta(days=3))
    second = await start_app()  # the scheduler sweeps at start
    await eventually(lambda: len(sla_texts(telegram, HQ)) >= 1, timeout=10)
    await jobs.sweep_sla_deadlines(second)  # and a second sweep changes nothing
    await delivered(second)
    for chat in (PROJECT, REGION, HQ):
        (digest,) = sla_texts(telegram, chat)
        assert digest.startswith("🔺") and all(t.number in digest for t in tickets)
    digest = sla_texts(telegram, PROJECT)[0]  # real lateness: 2 days (response), 1 day (resolution)
    assert "首次响应 · 超时 2 天" in digest and "解决 · 超时 1 天" in digest
    levels = sorted(await escalations(second))
    assert levels == sorted(
        [(ladder, level, to) for ladder, level, to in _ladder_to(3) for _ in tickets]
    )


def _ladder_to(level: int) -> list[tuple[str, int, str]]:
    names = {1: "project", 2: "region", 3: "hq"}
    return [(ladder, n, names[n]) for ladder in ("response", "resolution") for n in (1, 2, 3)][
        : 2 * level
    ]


async def test_sweeping_twice_or_late_never_escalates_twice(
    app: Application, telegram: FakeTelegramServer, clock: ManualClock
) -> None:
    await file_complaints(app, 3)
    await sweep_at(app, clock, 24)
    await jobs.sweep_sla_deadlines(app)
    await asyncio.gather(jobs.sweep_sla_deadlines(app), jobs.sweep_sla_deadlines(app))
    await delivered(app)
    assert len(await escalations(app)) == 3


@pytest.mark.postgres
async def test_two_processes_sweeping_at_once_escalate_each_level_once(
    start_app: AppFactory, telegram: FakeTelegramServer, clock: ManualClock, database_url: str
) -> None:
    app = await start_app(outbox_group_per_minute=10_000, outbox_chat_per_second=1_000)
    tickets = await file_complaints(app, 60)
    clock.set(START + timedelta(hours=48))  # three response levels and one resolution level due
    engines = [create_engine(database_url) for _ in range(2)]
    try:
        assert app.organisation is not None
        sweepers = [
            SlaSweeper(create_sessionmaker(engine), app.deps.context, batch_size=7)
            for engine in engines
        ]
        await asyncio.gather(*(s.run() for s in sweepers), *(s.run() for s in sweepers))
        # A row one process held is skipped by the other (SKIP LOCKED) and left for the
        # next sweep; the app's own scheduled sweep may also have taken part, and may still
        # be running. Its sweeper runs one sweep at a time: this next sweep waits for it,
        # then catches up alone.
        await app.sla_sweeper.run()
    finally:
        for engine in engines:
            await engine.dispose()
    assert len(await escalations(app)) == 4 * len(tickets)
    assert app.sessionmaker is not None
    async with app.sessionmaker() as session:
        per_ticket = (
            await session.execute(
                select(TicketEvent.ticket_id, func.count())
                .where(TicketEvent.kind == "escalated")
                .group_by(TicketEvent.ticket_id)
            )
        ).all()
    assert {count for _, count in per_ticket} == {4} and len(per_ticket) == len(tickets)
    async with app.sessionmaker() as session:
        events = (
            await session.scalars(select(TicketEvent).where(TicketEvent.kind == "escalated"))
        ).all()
    levels = [(e.ticket_id, e.data["ladder"], e.data["level"]) for e in events]
    assert len(levels) == len(set(levels))  # no level twice for any ticket


async def test_when_the_project_group_removed_the_bot_escalations_go_one_level_up(
    app: Application, telegram: FakeTelegramServer, clock: ManualClock
) -> None:
    telegram.block_chat(PROJECT)
    await file_complaints(app)
    # A refused escalation is forwarded by the sender to the next group up...
    await sweep_at(app, clock, 24)
    await delivered(app)
    (forwarded,) = sla_texts(telegram, REGION)
    assert forwarded.startswith("⚠️") and "阳光花园" in forwarded and "SG-000001" in forwarded
    # ...and while the group is known to be gone, new escalations skip it at once.
    clock.set(START + timedelta(hours=25))
    (second,) = await file_complaints(app, first_resident=7900)
    await sweep_at(app, clock, 48)  # the first ticket's resolution: refused again, forwarded
    await delivered(app)
    await sweep_at(app, clock, 49)  # the second ticket's response: straight to the region
    await delivered(app)
    direct = [t for t in sla_texts(telegram, REGION) if second.number in t]
    assert len(direct) == 1 and direct[0].startswith("🔺")
    tried_in_project = [c.params["text"] for c in telegram.calls_of("sendMessage", chat_id=PROJECT)]
    assert not [t for t in tried_in_project if t.startswith("🔺") and second.number in t]
    assert app.sessionmaker is not None
    async with app.sessionmaker() as session:
        events = (
            await session.scalars(
                select(TicketEvent).where(
                    TicketEvent.kind == "escalated", TicketEvent.ticket_id == second.id
                )
            )
        ).all()
    assert [e.data["unit"] for e in events] == ["east"]  # where it really went
