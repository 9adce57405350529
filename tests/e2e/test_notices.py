"""Notices, incidents and self-service answers (issue 18), end to end on the fake Bot API.

A manager sends a water-outage notice to building 3; its residents get it in their own
languages and building 5 does not; a building-3 resident who then reports "没水了" is
shown the notice instead of filing, building 5 files as usual; a muted resident gets
outage notices but not general ones; a notice sent in the quiet hours waits until they
end; a restart in the middle of a 1,000-resident notice neither loses nor repeats a
message; a fee question gets the FAQ answer and "I still need help" files it; the
figures are in /stats.
"""

from __future__ import annotations

from collections import Counter
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, insert, select
from sqlalchemy.ext.asyncio import async_sessionmaker

from bot.app.application import Application
from bot.services.announcements import sending
from bot.services.announcements.drafts import Draft
from bot.services.people import resolve_actor
from fake_telegram import FakeTelegramServer, FakeUser
from fake_telegram.models import ApiCall
from scheduler.announcement_jobs import report_notice_progress
from storage.db import create_engine
from storage.models import (
    Announcement,
    AuditEntry,
    Building,
    OrgUnit,
    OutboxMessage,
    OutboxStatus,
    Person,
    PropertyUnit,
    ResidentUnit,
    Ticket,
    TicketKind,
)
from tests.conftest import eventually
from tests.e2e.chat import ResidentChat
from tests.e2e.notice_support import compose_notice, write_notices_org
from tests.e2e.residents import buttons, delivered, next_message, press, say, settled
from tests.e2e.staff_helpers import ctx
from tests.e2e.survey_support import a_resident
from tests.e2e.test_resident_answers import two_open_tickets

SUNSHINE_GROUP = -1009000000100
MANAGER = 5002


@pytest.fixture
def org_file(tmp_path: Path) -> Path:
    return write_notices_org(tmp_path)


def sent_to(telegram: FakeTelegramServer, chat_id: int, fragment: str) -> list[str]:
    return [
        call.params.get("text") or call.params.get("caption") or ""
        for call in telegram.calls
        if call.method in ("sendMessage", "sendPhoto")
        and call.params.get("chat_id") == chat_id
        and fragment in (call.params.get("text") or call.params.get("caption") or "")
    ]


async def building_id(app: Application, key: str) -> int:
    assert app.sessionmaker is not None
    async with app.sessionmaker() as session:
        found = await session.scalar(select(Building.id).where(Building.key == key))
        assert found is not None
        return found


async def send_directly(app: Application, buildings: list[str], kind: str, text: str, **more):
    """The manager's notice through the service (the chat is tested once, below)."""
    assert app.sessionmaker is not None and app.sender is not None
    chosen = [await building_id(app, b) for b in buildings]
    async with app.sessionmaker() as session, session.begin():
        project = await session.scalar(select(OrgUnit.id).where(OrgUnit.key == "sunshine"))
        draft = Draft(
            id=1,
            unit_id=project,
            building_ids=chosen,
            kind=kind,
            text_zh=text,
            **more,
        )
        actor = await resolve_actor(session, MANAGER)
        announcement = await sending.send(session, ctx(app), actor, draft, MANAGER)
        announcement_id = announcement.id
    app.sender.wake()
    return announcement_id


async def test_water_outage_notice_reaches_building_3_and_answers_its_reports(
    app: Application, telegram: FakeTelegramServer
) -> None:
    zh3 = await a_resident(app, telegram, 7101, "张三", language="zh_CN", building="3", unit="301")
    en3 = await a_resident(app, telegram, 7102, "Alice", language="en", building="3", unit="302")
    zh5 = await a_resident(app, telegram, 7105, "王五", language="zh_CN", building="5", unit="501")
    manager = telegram.user(id=MANAGER, first_name="李强")

    preview = await compose_notice(
        telegram,
        manager,
        audience="🏘 阳光花园",
        buildings=["3号楼"],
        kind="🚧 计划停用/施工",
        category="漏水",
        window="10:00-16:00",
        text_zh="3号楼今天10:00–16:00停水检修",
        text_en="Water off in Building 3 today 10:00–16:00 for repairs",
    )
    assert "将发送给 2 位住户" in preview.params["text"]
    assert "3号楼" in preview.params["text"] and "10:00–16:00" in preview.params["text"]
    # Written in both languages: the preview shows each version as its readers get it.
    chinese_version, english_version = preview.params["text"].split("<i>—— 英文版 ——</i>")
    assert "<i>—— 中文版 ——</i>" in chinese_version and "3号楼今天" in chinese_version
    assert "Water leak · Building 3" in english_version
    assert "Water off in Building 3" in english_version and "停水" not in english_version
    sent = await press(telegram, manager, preview, "📤 发送")
    assert "正在发送给 2 位住户" in sent.params["text"]
    assert buttons(sent) == ["✏️ 更正", "🗑 撤回"]

    await settled(app)  # the notice and its copies are stored
    await delivered(app)
    [chinese] = sent_to(telegram, zh3.id, "停水检修")
    assert "3号楼" in chinese and "漏水" in chinese
    [english] = sent_to(telegram, en3.id, "Water off in Building 3")
    assert "Building 3" in english and "Water leak" in english
    assert sent_to(telegram, zh5.id, "") == []  # building 5 is not told
    await eventually(lambda: sent_to(telegram, SUNSHINE_GROUP, "停水检修"))  # staff's copy
    await report_notice_progress(app)
    final = await eventually(lambda: sent_to(telegram, MANAGER, "通知发送完毕"))
    assert "2 位住户已收到" in final[0] and "0 位无法送达" in final[0]

    telegram_clock_to = app.clock.now() + timedelta(hours=2)  # 11:00: the water is off
    app.clock.set(telegram_clock_to)  # type: ignore[attr-defined]
    shown = await say(telegram, zh3, "没水了")
    assert shown.params["text"].startswith("ℹ️ 这个情况我们已经知道了")
    assert "停水检修" in shown.params["text"]
    assert buttons(shown) == ["👌 知道了", "问题仍在 → 继续报修"]
    thanks = await press(telegram, zh3, shown, "👌 知道了")
    assert "没有提交工单" in thanks.params["text"]

    offer = await say(telegram, zh5, "没水了")  # building 5: filed as usual
    assert "已经知道" not in offer.params["text"]
    assert "<b>漏水</b>" in offer.params["text"] and "<b>5号楼 501</b>" in offer.params["text"]
    intro = await press(telegram, zh5, offer, "✅ 对，就这样")
    photos = await next_message(telegram, zh5, intro.seq + 1)
    summary = await press(telegram, zh5, photos, "不发照片")
    assert "类别：漏水" in summary.params["text"] and "5号楼 501" in summary.params["text"]
    filed = await press(telegram, zh5, summary, "✅ 提交")
    assert "单号 <b>SG-000001</b>" in filed.params["text"]  # a real ticket

    stats = await say(telegram, manager, "/stats")
    report = await eventually(lambda: sent_to(telegram, MANAGER, "通知与自助服务"))
    assert stats is not None
    assert "发送通知：1 条 · 覆盖住户：2 人" in report[0]
    assert "已有通知覆盖的报事：1 次 · 住户未再报修：1 次" in report[0]

    assert app.sessionmaker is not None
    async with app.sessionmaker() as session:
        tickets = (await session.scalars(select(Ticket))).all()
        five_zero_one = await session.scalar(
            select(PropertyUnit.id)
            .join(Building, Building.id == PropertyUnit.building_id)
            .where(Building.key == "5", PropertyUnit.key == "501")
        )
        audited = (
            await session.scalars(
                select(AuditEntry.action).where(AuditEntry.action == "notice.send")
            )
        ).all()
    # Building 3's report was deflected (nothing filed); building 5's is the one ticket.
    assert [(t.number, t.category_key, t.property_unit_id) for t in tickets] == [
        ("SG-000001", "water", five_zero_one)
    ]
    assert audited == ["notice.send"]


async def beside_a_burst_pipe(app: Application, telegram: FakeTelegramServer) -> FakeUser:
    """A Chinese-reading resident of building 3, where an incident notice (a burst pipe,
    water) is on."""
    resident = await a_resident(
        app, telegram, 7101, "张三", language="zh_CN", building="3", unit="301"
    )
    await send_directly(
        app, ["3"], "incident", "3号楼水管爆裂，正在抢修", category_key="water",
        category_chosen=True,
    )  # fmt: skip
    await delivered(app)
    return resident


async def test_file_anyway_after_the_notice_files_as_usual(
    app: Application, telegram: FakeTelegramServer
) -> None:
    resident = await beside_a_burst_pipe(app, telegram)
    shown = await say(telegram, resident, "没水了")
    assert "水管爆裂" in shown.params["text"]
    offer = await press(telegram, resident, shown, "问题仍在 → 继续报修")
    assert "已经知道" not in offer.params["text"] and buttons(offer)


async def test_an_album_met_by_a_notice_is_answered_once_and_filed_whole(
    app: Application, telegram: FakeTelegramServer
) -> None:
    resident = await beside_a_burst_pipe(app, telegram)
    mark = telegram.mark()
    telegram.send_album(resident, 3, caption="没水了")
    shown = await next_message(telegram, resident, mark)
    assert "水管爆裂" in shown.params["text"]
    await settled(app)  # the album's other photos join it: nothing more is said
    said = [c for c in telegram.calls[mark:] if c.params.get("chat_id") == resident.id]
    assert [c.params["text"][:8] for c in said if c.method == "sendMessage"] == [
        shown.params["text"][:8]
    ]
    offer = await press(telegram, resident, shown, "问题仍在 → 继续报修")
    intro = await press(telegram, resident, offer, "✅ 对，就这样")
    summary = await next_message(telegram, resident, intro.seq + 1)
    assert "照片：3" in summary.params["text"]  # the whole album goes with the report


async def test_a_muted_resident_gets_outage_notices_but_not_general_ones(
    app: Application, telegram: FakeTelegramServer
) -> None:
    muted = await a_resident(app, telegram, 7201, "Mute", language="en", building="3", unit="301")
    other = await a_resident(app, telegram, 7202, "Other", language="en", building="3", unit="302")
    profile = await say(telegram, muted, "/profile")
    assert "General notices: on." in profile.params["text"]
    changed = await press(
        telegram, muted, profile, "🔕 Mute general notices", expect="editMessageText"
    )
    assert "General notices: muted" in changed.params["text"]

    await send_directly(app, ["3"], "general", "下周一清洗外墙", text_en="Facade cleaning Monday")
    await send_directly(
        app, ["3"], "incident", "3号楼突发停电", text_en="Power cut in Building 3",
        category_key="lift", category_chosen=True,
    )  # fmt: skip
    await delivered(app)
    assert sent_to(telegram, other.id, "Facade cleaning")
    assert sent_to(telegram, muted.id, "Facade cleaning") == []
    assert sent_to(telegram, muted.id, "Power cut in Building 3")


async def test_a_notice_sent_in_the_quiet_hours_waits_until_they_end(
    app: Application, telegram: FakeTelegramServer
) -> None:
    resident = await a_resident(
        app, telegram, 7301, "Night", language="en", building="5", unit="501"
    )
    app.clock.set(app.clock.now() + timedelta(hours=14))  # type: ignore[attr-defined]  # 23:00
    await send_directly(app, ["5"], "general", "明天小区消杀", text_en="Pest control tomorrow")
    app.sender.wake()  # type: ignore[union-attr]
    await settled(app)
    assert app.sessionmaker is not None
    async with app.sessionmaker() as session:
        [due] = (
            await session.scalars(
                select(OutboxMessage.next_attempt_at).where(OutboxMessage.chat_id == resident.id)
            )
        ).all()
        [announcement] = (await session.scalars(select(Announcement))).all()
    local = due.astimezone(app.organisation.zone())  # type: ignore[union-attr]
    assert (local.hour, local.minute) == (8, 0) and announcement.deliver_at == due
    assert sent_to(telegram, resident.id, "Pest control") == []

    app.clock.set(due)  # type: ignore[attr-defined]  # 08:00
    app.sender.wake()  # type: ignore[union-attr]
    await eventually(lambda: sent_to(telegram, resident.id, "Pest control tomorrow"))


async def test_a_restart_in_the_middle_of_a_big_notice_neither_loses_nor_repeats(
    start_app, telegram: FakeTelegramServer, database_url: str
) -> None:
    app = await start_app(outbox_per_second=400.0)
    people = list(range(800_001, 801_001))
    for telegram_id in people:
        telegram.user(id=telegram_id, first_name="R", language_code="zh-hans")
    assert app.sessionmaker is not None
    async with app.sessionmaker() as session, session.begin():
        flat = await session.scalar(
            select(PropertyUnit.id)
            .join(Building, Building.id == PropertyUnit.building_id)
            .where(Building.key == "3", PropertyUnit.key == "301")
        )
        now = app.clock.now()
        await session.execute(
            insert(Person),
            [
                {"telegram_id": t, "full_name": "R", "reachable": True, "created_at": now,
                 "consent_version": "1", "consented_at": now, "language": "zh_CN"}
                for t in people
            ],
        )  # fmt: skip
        ids = (await session.scalars(select(Person.id).where(Person.telegram_id >= 800_001))).all()
        await session.execute(
            insert(ResidentUnit),
            [
                {"person_id": i, "property_unit_id": flat, "via": "code", "bound_at": now}
                for i in ids
            ],
        )
    notice = await send_directly(app, ["3"], "general", "全体住户请注意")

    async def some_sent() -> bool:
        async with app.sessionmaker() as session:  # type: ignore[misc]
            count = await session.scalar(
                select(func.count()).where(OutboxMessage.status == OutboxStatus.SENT)
            )
            return bool(count and count >= 100)

    def told() -> Counter:
        return Counter(
            call.params.get("chat_id")
            for call in telegram.calls
            if call.method == "sendMessage" and "全体住户请注意" in call.params.get("text", "")
        )

    await eventually(some_sent, timeout=30)
    await app.stop()  # in the middle
    before_the_stop = told()
    engine = create_engine(database_url)  # the stopped bot's engine is disposed
    async with async_sessionmaker(engine)() as session:
        at_the_stop = await sending.delivery_count(session, notice)
    await engine.dispose()
    # Really mid-way: some copies went, many were still queued when the bot stopped.
    assert 100 <= sum(before_the_stop.values()) < len(people)
    assert at_the_stop.waiting > 0 and at_the_stop.delivered + at_the_stop.waiting == 1000
    restarted = await start_app(outbox_per_second=400.0)

    async def all_settled() -> bool:
        async with restarted.sessionmaker() as session:  # type: ignore[union-attr]
            return (await sending.delivery_count(session, notice)).waiting == 0

    await eventually(all_settled, timeout=60)

    received = told()
    assert set(received) >= set(people)  # nobody forgotten
    assert max(received[p] for p in people) == 1  # nobody told twice
    async with restarted.sessionmaker() as session:  # type: ignore[union-attr]
        count = await sending.delivery_count(session, notice)
    assert (count.delivered, count.waiting) == (1000, 0)


async def fees_answered(
    app: Application, telegram: FakeTelegramServer, question: str
) -> tuple[FakeUser, ApiCall]:
    """Alice (English, building 3) asks ``question``: the fees FAQ answers it, with its
    two buttons."""
    alice = await a_resident(app, telegram, 7401, "Alice", language="en", building="3", unit="301")
    answer = await say(telegram, alice, question)
    assert "Pay the management fee at the service centre" in answer.params["text"]
    assert buttons(answer) == ["✅ This answered it", "🙋 I still need help"]
    return alice, answer


async def test_a_fee_question_gets_the_faq_answer_and_i_still_need_help_files_it(
    app: Application, telegram: FakeTelegramServer
) -> None:
    alice, answer = await fees_answered(app, telegram, "How do I pay the management fee?")
    started = await press(telegram, alice, answer, "🙋 I still need help")
    question = await eventually(
        lambda: [c for c in telegram.calls if c.method == "sendMessage"
                 and c.params.get("chat_id") == alice.id and "Other" in buttons(c)]
    )  # fmt: skip
    assert started is not None
    place = await press(telegram, alice, question[-1], "Other")
    photos = await press(telegram, alice, place, buttons(place)[0])
    summary = await press(telegram, alice, photos, "No photos")
    filed = await press(telegram, alice, summary, "✅ Submit")
    assert "SG-000001" in filed.params["text"]
    [ticket] = await _tickets(app)
    assert ticket.kind is TicketKind.INQUIRY
    assert ticket.description == "How do I pay the management fee?"

    faq = await say(telegram, alice, "/faq")
    assert buttons(faq) == ["How do I pay the management fee?", "When is the service centre open?"]


async def _tickets(app: Application) -> list[Ticket]:
    await settled(app)
    assert app.sessionmaker is not None
    async with app.sessionmaker() as session:
        return list((await session.scalars(select(Ticket))).all())


async def test_an_english_reading_manager_composes_with_english_place_names(
    app: Application, telegram: FakeTelegramServer
) -> None:
    manager = telegram.user(id=MANAGER, first_name="李强")
    await say(telegram, manager, "/language")
    await say(telegram, manager, "English")

    asked = await say(telegram, manager, "/notice")
    assert buttons(asked) == ["🏘 Sunshine Garden", "✖️ Cancel"]
    asked = await press(telegram, manager, asked, "🏘 Sunshine Garden")
    assert {"Building 3", "Building 5"} <= set(buttons(asked))
    # Pressing a building redraws the buttons: still in English.
    asked = await press(telegram, manager, asked, "Building 3", expect="editMessageText")
    assert {"✅ Building 3", "Building 5"} <= set(buttons(asked))
    assert not any("阳光" in label or "3号楼" in label for label in buttons(asked)), buttons(asked)


async def test_a_question_naming_a_category_still_gets_the_faq_answer(
    app: Application, telegram: FakeTelegramServer
) -> None:
    # "water" names a category, but this is a question the FAQ answers ("fees" → "fee").
    alice, answer = await fees_answered(app, telegram, "Can I pay the water fees at the office?")
    await press(telegram, alice, answer, "✅ This answered it")

    report = await say(telegram, alice, "Water is leaking from the pipe, we paid our fees!")
    assert "Pay the management fee" not in report.params["text"]  # a report: offered to file
    assert "Water leak" in report.params["text"]
    await press(telegram, alice, report, "No, thanks")

    # A danger put as a question: the emergency line first, never an FAQ answer.
    danger = await say(telegram, alice, "The hall is flooded, do we pay fees for the plumber?")
    assert danger.params["text"].startswith("⚠️ <b>If anyone is in danger")


async def test_a_faq_question_beside_open_tickets_is_answered_not_asked_which(
    alice: ResidentChat,
) -> None:
    await two_open_tickets(alice)
    answer = await alice.say("How do I pay the management fee?")
    assert "Pay the management fee at the service centre" in answer.params["text"]
    # Worded like asking after the tickets ("how long"), but the FAQ's: answered.
    answer = await alice.say("How long do I have to pay the management fees?")
    assert "Pay the management fee at the service centre" in answer.params["text"]
    which = await alice.say("Is the lift fixed yet?")  # not the FAQ's: which ticket?
    assert which.params["text"].startswith("You have open tickets SG-000002, SG-000001")


async def test_a_photo_where_the_notice_text_is_asked_for_is_asked_for_words(
    app: Application, telegram: FakeTelegramServer
) -> None:
    manager = telegram.user(id=MANAGER, first_name="李强")
    asked = await say(telegram, manager, "/notice")
    asked = await press(telegram, manager, asked, "🏘 阳光花园")
    asked = await press(telegram, manager, asked, "🏘 整个项目")
    asked = await press(telegram, manager, asked, "📢 一般通知")
    asked = await press(telegram, manager, asked, "不限类别")
    asked = await press(telegram, manager, asked, "不设时间段")
    assert "中文" in asked.params["text"]  # the Chinese text is asked for
    mark = telegram.mark()
    telegram.send_photo(manager)
    answer = await next_message(telegram, manager, mark)
    assert answer.params["text"] == "这一步只能接收文字，请输入文字。"
