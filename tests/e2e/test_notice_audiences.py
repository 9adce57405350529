"""Who a notice reaches (issue 18), end to end on the fake Bot API: a regional manager's
notice to the whole region (every project's residents, the region's staff group too),
an HQ admin's to everyone they look after (every staff group, the regions' too), an
agent (not a manager) composing and sending one, a resident who blocked the bot counted
as unreachable in the final count, and an urgent notice going out at once in the quiet
hours while one that can wait waits.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.app.application import Application
from fake_telegram import FakeTelegramServer, FakeUser
from scheduler.announcement_jobs import report_notice_progress
from storage.models import Announcement, OutboxMessage, Person
from tests.conftest import eventually
from tests.e2e.notice_support import compose_notice, write_notices_org
from tests.e2e.residents import buttons, delivered, press, settled
from tests.e2e.staff_helpers import ADMIN, AGENT, MANAGER, REGION_MANAGER, staff_user
from tests.e2e.survey_support import a_resident
from tests.e2e.test_notices import send_directly, sent_to

HQ_GROUP, EAST_GROUP = -1009000000001, -1009000000010
SUNSHINE_GROUP, PLAZA_GROUP = -1009000000100, -1009000000200
ZH3, EN5, PLAZA = 7901, 7905, 7909


@pytest.fixture
def org_file(tmp_path: Path) -> Path:
    return write_notices_org(tmp_path)


async def residents_everywhere(app: Application, telegram: FakeTelegramServer) -> None:
    """One resident in building 3 and one in building 5 of the sunshine project, one
    in the plaza (the region's other project)."""
    await a_resident(app, telegram, ZH3, "张三", language="zh_CN", building="3", unit="301")
    await a_resident(app, telegram, EN5, "Alice", language="en", building="5", unit="501")
    await a_resident(app, telegram, PLAZA, "周九", language="zh_CN", project="plaza",
                     building="A", unit="S01")  # fmt: skip


def audience_offered(telegram: FakeTelegramServer, staff: FakeUser) -> list[str]:
    [asked] = [
        call
        for call in telegram.calls_of("sendMessage", chat_id=staff.id)
        if call.params.get("text", "").startswith("📢 <b>新通知</b>")
    ]
    return buttons(asked)


async def general_notice(
    app: Application, telegram: FakeTelegramServer, staff: FakeUser, audience: str, reach: int
) -> None:
    """``staff`` composes a general notice to ``audience`` in the chat and sends it; the
    preview and the confirmation say it reaches ``reach`` residents."""
    preview = await compose_notice(
        telegram, staff, audience=audience, buildings=[], kind="📢 一般通知",
        category="不限类别", window=None, text_zh="本周六上午全区消防演练",
        text_en="Fire drill on Saturday morning",
    )  # fmt: skip
    assert f"将发送给 {reach} 位住户" in preview.params["text"]
    assert "免打扰" not in preview.params["text"]
    sent = await press(telegram, staff, preview, "📤 发送")
    assert f"正在发送给 {reach} 位住户" in sent.params["text"]
    await settled(app)
    await delivered(app)


def drill_to(telegram: FakeTelegramServer, chat_id: int) -> list[str]:
    return sent_to(telegram, chat_id, "本周六上午全区消防演练") + sent_to(
        telegram, chat_id, "Fire drill on Saturday morning"
    )


@pytest.mark.parametrize(
    ("sender", "audience", "offered", "groups_told", "groups_not_told"),
    [
        pytest.param(
            REGION_MANAGER, "🗺 华东区域中心",
            ["🗺 华东区域中心", "🏘 阳光花园", "🏘 星河广场", "✖️ 取消"],
            (EAST_GROUP, SUNSHINE_GROUP, PLAZA_GROUP),  # the region's group too
            (HQ_GROUP,),  # above the audience: not told
            id="a-regional-manager-to-the-whole-region-and-its-staff-group",
        ),
        pytest.param(
            ADMIN, "🏢 总部",
            ["🏢 总部", "🗺 华东区域中心", "🏘 阳光花园", "🏘 星河广场", "✖️ 取消"],
            (HQ_GROUP, EAST_GROUP, SUNSHINE_GROUP, PLAZA_GROUP),  # every staff group
            (),
            id="an-hq-admin-to-everyone-they-look-after",
        ),
    ],
)  # fmt: skip
async def test_a_notice_above_a_project_reaches_every_project_below_and_their_staff_groups(
    app: Application,
    telegram: FakeTelegramServer,
    sender: int,
    audience: str,
    offered: list[str],
    groups_told: tuple[int, ...],
    groups_not_told: tuple[int, ...],
) -> None:
    await residents_everywhere(app, telegram)
    staff = staff_user(telegram, sender)
    await general_notice(app, telegram, staff, audience, reach=3)
    assert audience_offered(telegram, staff) == offered

    for resident in (ZH3, EN5, PLAZA):  # both projects, every building, each language
        assert len(drill_to(telegram, resident)) == 1
    assert "Fire drill on Saturday morning" in drill_to(telegram, EN5)[0]
    for group in groups_told:
        await eventually(lambda g=group: drill_to(telegram, g))
    for group in groups_not_told:
        assert drill_to(telegram, group) == []

    [notice] = await announcements(app)
    assert notice.reach == 3 and len(notice.project_ids) == 2 and notice.building_ids == []


async def test_an_agent_sends_a_notice_and_hears_who_could_not_be_reached(
    app: Application, telegram: FakeTelegramServer
) -> None:
    """An agent may send to their project; a resident who blocked the bot is counted as
    unreachable in the final count (and no longer reachable)."""
    await a_resident(app, telegram, ZH3, "张三", language="zh_CN", building="3", unit="301")
    blocked = await a_resident(
        app, telegram, 7902, "李四", language="zh_CN", building="3", unit="302"
    )
    telegram.block_chat(blocked.id)  # Telegram answers 403 to the bot's messages there
    agent = staff_user(telegram, AGENT)

    preview = await compose_notice(
        telegram, agent, audience="🏘 阳光花园", buildings=["3号楼"], kind="📢 一般通知",
        category="不限类别", window=None, text_zh="3号楼电梯年检，周三停用两小时",
        text_en=None,
    )  # fmt: skip
    assert audience_offered(telegram, agent) == ["🏘 阳光花园", "✖️ 取消"]
    assert "将发送给 2 位住户" in preview.params["text"]
    sent = await press(telegram, agent, preview, "📤 发送")
    assert buttons(sent) == ["✏️ 更正", "🗑 撤回"]
    await settled(app)
    await delivered(app)
    assert sent_to(telegram, ZH3, "电梯年检")
    refused = [c for c in telegram.calls_of("sendMessage", chat_id=blocked.id) if not c.ok]
    assert len(refused) == 1 and refused[0].error_code == 403

    await report_notice_progress(app)
    [final] = await eventually(lambda: sent_to(telegram, AGENT, "通知发送完毕"))
    assert "1 位住户已收到" in final and "1 位无法送达" in final

    assert app.sessionmaker is not None
    async with app.sessionmaker() as session:
        [notice] = (await session.scalars(select(Announcement))).all()
        sender = await session.scalar(select(Person).where(Person.telegram_id == AGENT))
        gone = await session.scalar(select(Person).where(Person.telegram_id == blocked.id))
    assert sender is not None and notice.created_by_id == sender.id
    assert gone is not None and gone.reachable is False


async def test_an_urgent_notice_goes_out_at_once_in_the_quiet_hours(
    app: Application, telegram: FakeTelegramServer
) -> None:
    resident = await a_resident(
        app, telegram, EN5, "Alice", language="en", building="3", unit="301"
    )
    app.clock.set(app.clock.now() + timedelta(hours=14))  # type: ignore[attr-defined]  # 23:00
    manager = staff_user(telegram, MANAGER)

    preview = await compose_notice(
        telegram, manager, audience="🏘 阳光花园", buildings=["3号楼"],
        kind="⚠️ 突发事件（紧急）", category="漏水", window=None,
        text_zh="3号楼水管爆裂，正在抢修", text_en="Burst pipe in Building 3, being repaired",
    )  # fmt: skip
    assert "免打扰" not in preview.params["text"]  # no waiting for the morning
    await press(telegram, manager, preview, "📤 发送")
    await eventually(lambda: sent_to(telegram, resident.id, "Burst pipe in Building 3"))

    # An outage starting at 06:00, before the quiet hours end at 08:00: at once too;
    # one starting at 10:00 can wait until 08:00.
    soon = datetime(2026, 11, 2, 22, 0, tzinfo=UTC)  # 06:00 in Shanghai
    later = datetime(2026, 11, 3, 2, 0, tzinfo=UTC)  # 10:00
    for starts, words in ((soon, "Water off from 06:00"), (later, "Water off from 10:00")):
        await send_directly(
            app, ["3"], "outage", f"停水 {words}", text_en=words, category_key="water",
            category_chosen=True, starts_at=starts.isoformat(),
            ends_at=(starts + timedelta(hours=3)).isoformat(), window_chosen=True,
        )  # fmt: skip
    await eventually(lambda: sent_to(telegram, resident.id, "Water off from 06:00"))
    await settled(app)
    now = app.clock.now()
    urgent, early, waiting = await announcements(app)
    assert urgent.deliver_at == urgent.created_at == now and early.deliver_at == now
    assert waiting.deliver_at.astimezone(app.organisation.zone()).hour == 8
    assert sent_to(telegram, resident.id, "Water off from 10:00") == []
    # The fake Bot API records a message before the sender commits it as sent, so wait
    # until the 06:00 outage's copy is settled: only the held 10:00 one stays unsent.
    [held] = await eventually(lambda: unsent_to(app, resident.id), timeout=5.0)
    assert held == waiting.deliver_at


async def unsent_to(app: Application, chat_id: int) -> list[datetime] | None:
    """When the messages still unsent to ``chat_id`` are due, once only one is left."""
    assert app.sessionmaker is not None
    async with app.sessionmaker() as session:
        due = list(
            (
                await session.scalars(
                    select(OutboxMessage.next_attempt_at).where(
                        OutboxMessage.chat_id == chat_id, OutboxMessage.sent_at.is_(None)
                    )
                )
            ).all()
        )
    return due if len(due) == 1 else None


async def announcements(app: Application) -> list[Announcement]:
    assert app.sessionmaker is not None
    async with app.sessionmaker() as session:
        return list((await session.scalars(select(Announcement).order_by(Announcement.id))).all())
