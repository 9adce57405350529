"""Each audience reads a ticket in its own words: a staff group in its language (whoever
pressed), a person privately in theirs; staff read staff wording for statuses; a card
offers only what fits the ticket's status and says who last changed it."""

from __future__ import annotations

import re
from pathlib import Path

from bot.app.application import Application
from bot.services.tickets import lifecycle
from fake_telegram import FakeTelegramServer, FakeUser
from storage.models import StaffRole, TicketStatus
from tests.conftest import eventually
from tests.e2e import staff_helpers as desk
from tests.e2e import survey_support as surveys
from tests.e2e.chat import StaffChat
from tests.e2e.conftest import AppFactory, org_file_edited, say

CARD_TIME = re.compile(r"\d\d-\d\d \d\d:\d\d")


ENGLISH_PLAZA = ('key = "plaza"\n', 'key = "plaza"\nlanguage = "en"\n')  # its staff group


async def test_an_english_agent_in_a_chinese_group_reads_chinese_there_and_english_privately(
    app: Application, telegram: FakeTelegramServer, resident_zh: FakeUser
) -> None:
    english = telegram.user(id=desk.AGENT, first_name="Wang Fang", language_code="en")
    agent = StaffChat(app, telegram, english)
    await surveys.add_resident(app, resident_zh.id, "张小明")
    ticket = await desk.file_ticket(app, telegram, resident_id=resident_zh.id)

    assert await agent.press_on_card(ticket, "take") == "您已接单 SG-000001。"  # the group's
    taken = await desk.card(telegram, desk.SUNSHINE_GROUP, "👀 SG-000001")
    assert "状态：已接单 · " in (taken.text or "")  # the group's words, whoever pressed

    mark = telegram.mark()
    await agent.press(taken, "reply")
    prompt = await agent.bot_says("✍️", since=mark)
    assert "回复" in (prompt.text or "") and "your answer" not in (prompt.text or "")
    assert [b for b in prompt.button_texts() if "取消" in b]

    mark = telegram.mark()
    telegram.send_text(english, "/queue", chat_id=desk.SUNSHINE_GROUP)
    queue = await agent.bot_says("SG-000001", since=mark)
    assert "Open tickets" not in (queue.text or "") and "已接单" in (queue.text or "")

    mark = telegram.mark()
    assert await agent.press(taken, "details") == "已通过私聊发送给您。"  # alert in the group
    details = await agent.bot_says_privately("History (notes included, staff only):", since=mark)
    assert "Status: taken" in (details.text or "")

    # The resident says it is not fixed: the group hears it in Chinese, the agent in English.
    await desk.as_actor(
        app, desk.AGENT, lambda s, c, a: lifecycle.resolve(s, c, ticket.id, a, "换了水管")
    )
    question = await surveys.bot_says(telegram, resident_zh.id, "问题解决了吗")
    await surveys.press_then(
        telegram, resident_zh, question, surveys.button_data(question)[1], "还有什么问题"
    )
    mark = telegram.mark()
    await say(telegram, resident_zh, "还在漏")
    told = await agent.bot_says_privately("is not fixed", since=mark)
    assert "还在漏" in (told.text or "")
    in_group = await agent.bot_says("还在漏", since=mark)
    assert "is not fixed" not in (in_group.text or "")


async def test_a_group_in_english_reads_english_whoever_presses(
    start_app: AppFactory, telegram: FakeTelegramServer, org_file: Path, tmp_path: Path
) -> None:
    app = await start_app(bot_config=org_file_edited(org_file, tmp_path, ENGLISH_PLAZA))
    await desk.add_staff(app, 5020, "李雷", StaffRole.AGENT, "plaza")
    chinese = StaffChat(
        app, telegram, telegram.user(id=5020, first_name="李雷"), group=desk.PLAZA_GROUP
    )
    ticket = await desk.file_ticket(app, telegram, project="plaza")
    card = await chinese.card(ticket)
    assert "Status: new" in (card.text or "") and card.button_texts()[0] == "Take"

    assert await chinese.press(card, "take") == f"You have taken {ticket.number}."
    mark = telegram.mark()
    telegram.send_text(chinese.user, "/mine", chat_id=desk.PLAZA_GROUP)
    mine = await chinese.bot_says(ticket.number, since=mark)
    assert (mine.text or "").startswith("Your open tickets (1)")
    assert "李雷" not in (mine.text or "")  # whose they are goes without saying


async def test_staff_read_staff_wording_for_a_ticket_waiting_on_the_resident(
    app: Application, telegram: FakeTelegramServer, agent: StaffChat
) -> None:
    ticket = await desk.file_ticket(app, telegram)
    await agent.press_on_card(ticket, "take")
    await desk.as_actor(
        app,
        desk.AGENT,
        lambda s, c, a: lifecycle.reply_to_resident(
            s, c, ticket.id, a, "请问几点方便上门？", ask_for_answer=True
        ),
    )
    waiting = await desk.card(telegram, desk.SUNSHINE_GROUP, "⏸ SG-000001")
    assert "等待住户答复" in (waiting.text or "") and "等待您的回复" not in (waiting.text or "")

    mark = telegram.mark()
    telegram.send_text(agent.user, "/queue", chat_id=desk.SUNSHINE_GROUP)
    queue = await agent.bot_says("SG-000001", since=mark)
    assert "等待住户答复" in (queue.text or "")

    mark = telegram.mark()
    await agent.press(waiting, "details")
    details = await agent.bot_says_privately("SG-000001", since=mark)
    assert "等待住户答复" in (details.text or "") and "等待您的回复" not in (details.text or "")


async def test_cards_offer_only_what_fits_the_status_and_say_who_changed_it(
    app: Application, telegram: FakeTelegramServer, agent: StaffChat, manager: StaffChat
) -> None:
    ticket = await desk.file_ticket(app, telegram)
    new = await agent.card(ticket)
    assert new.button_texts() == ["接单", "回复", "备注", "转派", "详情", "修改分类", "取消工单"]

    await agent.press(new, "take")
    taken = await desk.card(telegram, desk.SUNSHINE_GROUP, "👀 SG-000001")
    assert taken.button_texts() == [
        *("回复", "办结", "备注", "转派", "详情"),
        *("开始处理", "修改分类", "取消工单"),
    ]  # taken: no Take; Start work and Resolve now
    status_line = (taken.text or "").split("\n")[1]
    # The assignee's own change is dated, and names them once (as the assignee).
    assert re.fullmatch(f"状态：已接单 · {CARD_TIME.pattern} · 处理人：王芳", status_line)

    await agent.press(taken, "start")
    started = await desk.card(telegram, desk.SUNSHINE_GROUP, "🔧 SG-000001")
    assert "开始处理" not in started.button_texts() and "办结" in started.button_texts()

    await desk.as_actor(
        app, desk.AGENT, lambda s, c, a: lifecycle.resolve(s, c, ticket.id, a, "换了水管")
    )
    resolved = await desk.card(telegram, desk.SUNSHINE_GROUP, "✅ SG-000001")
    assert resolved.button_texts() == ["备注", "详情"]  # no re-open on a card
    assert re.search(f"状态：已解决 · {CARD_TIME.pattern} · 处理人：王芳", resolved.text or "")

    await desk.as_actor(
        app, desk.RESIDENT, lambda s, c, a: lifecycle.confirm_fixed(s, c, ticket.id, a, None)
    )
    closed = await desk.card(telegram, desk.SUNSHINE_GROUP, "🏁 SG-000001", with_buttons=False)
    assert closed.button_texts() == ["详情"]
    assert "张** " in (closed.text or "").split("\n")[1]  # a resident by initials only
    assert (await desk.reload(app, ticket.id)).status is TicketStatus.CLOSED


async def test_an_answered_menu_keeps_its_question_and_says_what_was_chosen(
    app: Application, telegram: FakeTelegramServer, manager: StaffChat
) -> None:
    ticket = await desk.file_ticket(app, telegram)
    mark = telegram.mark()
    await manager.press_on_card(ticket, "reassign")
    menu = await manager.bot_says("转派给谁", since=mark)
    await manager.press_label(menu, "👤 王芳")

    def answered() -> str | None:
        shown = telegram.message(desk.SUNSHINE_GROUP, menu.message_id)
        text = (shown.text or "") if shown else ""
        return text if "王芳" in text.split("\n")[-1] else None

    text = await eventually(answered)
    assert text.startswith("SG-000001 转派给谁？") and "已转派给 王芳" in text


async def test_a_group_in_english_reads_the_english_names_of_its_project_and_building(
    start_app: AppFactory, telegram: FakeTelegramServer, org_file: Path, tmp_path: Path
) -> None:
    named = org_file_edited(
        org_file,
        tmp_path,
        ENGLISH_PLAZA,
        ('name = "星河广场"\n', 'name = "星河广场"\nname_en = "Galaxy Plaza"\n'),
        ('name = "A座"\n', 'name = "A座"\n  name_en = "Tower A"\n'),
    )
    app = await start_app(bot_config=named)
    await desk.add_staff(app, 5020, "Li Lei", StaffRole.AGENT, "plaza")
    agent = StaffChat(
        app,
        telegram,
        telegram.user(id=5020, first_name="Li Lei", language_code="en"),
        group=desk.PLAZA_GROUP,
    )
    unit = await surveys.unit_id(app, "A", "S01", project="plaza")
    ticket = await desk.file_ticket(app, telegram, project="plaza", property_unit_id=unit)
    card = await agent.card(ticket)
    assert "Where: Tower A S01" in (card.text or "") and "A座" not in (card.text or "")

    mark = telegram.mark()
    await agent.press(card, "details")
    details = await agent.bot_says_privately("Project:", since=mark)
    assert "Project: Galaxy Plaza" in (details.text or "") and "星河广场" not in (
        details.text or ""
    )
