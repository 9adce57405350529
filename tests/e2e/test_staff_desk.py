"""Staff work tickets from their group: cards, take, reply, note, resolve, reassign, lists."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import select

from bot.app.application import Application
from bot.app.runtime.handling import handle_update_once
from bot.clock import ManualClock
from bot.services.tickets import lifecycle
from fake_telegram import FakeTelegramServer
from storage.models import InboundStatus, StaffRole, TicketEvent, TicketStatus
from tests.conftest import eventually
from tests.e2e import staff_helpers as desk
from tests.e2e.chat import StaffChat
from tests.e2e.conftest import say
from tests.e2e.residents import buttons
from tests.e2e.test_update_failures import failing_commits, inbox_row, retry_after_backoff
from tests.integration.ticket_fixtures import add_resident


async def test_a_new_ticket_appears_in_its_project_group_as_a_card(
    app: Application, telegram: FakeTelegramServer
) -> None:
    sunshine = await desk.file_ticket(app, telegram, description="天花板漏水 <b>急</b>")
    plaza = await desk.file_ticket(
        app, telegram, project="plaza", resident_id=7002, name="Alice Smith"
    )
    shown = await desk.card(telegram, desk.SUNSHINE_GROUP, sunshine.number)
    assert "天花板漏水 <b>急</b>" in shown.text  # escaped, shown as typed
    assert "张**" in shown.text and "张小明" not in shown.text  # initials only in groups
    assert "+86" not in shown.text
    assert shown.button_texts() == [  # new: nothing to start or resolve before it is taken
        *("接单", "回复", "备注", "转派", "详情"),
        *("修改分类", "取消工单"),
    ]
    other = await desk.card(telegram, desk.PLAZA_GROUP, plaza.number)
    assert "A.S." in other.text
    assert not [
        m for m in telegram.messages_in(desk.SUNSHINE_GROUP) if plaza.number in (m.text or "")
    ]


async def test_take_assigns_the_ticket_and_the_card_shows_it(
    app: Application, telegram: FakeTelegramServer, agent: StaffChat
) -> None:
    ticket = await desk.file_ticket(app, telegram)
    assert "SG-000001" in await agent.press_on_card(ticket, "take")
    refreshed = await eventually(
        lambda: (
            "王芳" in (telegram.messages_in(desk.SUNSHINE_GROUP)[0].text or "")
            and telegram.messages_in(desk.SUNSHINE_GROUP)[0]
        )
    )
    assert refreshed.text.startswith("👀")
    assert "响应时限：2026-11-03 09:00（已按时响应）" in refreshed.text
    taken = await desk.reload(app, ticket.id)
    assert taken.status is TicketStatus.ACKNOWLEDGED and taken.first_responded_at is not None
    # The resident hears that someone is on it.
    await telegram.wait_for(
        "sendMessage",
        lambda c: c.params["text"] == "👀 物业已受理工单 SG-000001，正在安排处理。",
        chat_id=desk.RESIDENT,
    )


async def test_two_staff_pressing_take_together_one_wins_the_other_hears_who(
    app: Application, telegram: FakeTelegramServer
) -> None:
    ticket = await desk.file_ticket(app, telegram)
    shown = await desk.card(telegram, desk.SUNSHINE_GROUP, ticket.number)
    agent, manager = desk.staff_user(telegram, desk.AGENT), desk.staff_user(telegram, desk.MANAGER)
    first = desk.press(telegram, agent, shown, "take")
    second = desk.press(telegram, manager, shown, "take")  # the same (now outdated) card
    answers = [await desk.alert(telegram, first), await desk.alert(telegram, second)]
    assert answers[1] == "王芳 已经接了这张工单。"
    assert (await desk.reload(app, ticket.id)).assignee_id is not None
    assert await _assigned_events(app, ticket.id) == 1


async def test_two_take_presses_handled_in_parallel_still_have_one_winner(
    app: Application, telegram: FakeTelegramServer
) -> None:
    """As if two bot instances handled the presses at the same moment."""
    ticket = await desk.file_ticket(app, telegram)
    shown = await desk.card(telegram, desk.SUNSHINE_GROUP, ticket.number)
    data = shown.buttons()[0]["callback_data"]
    updates = []
    for offset, telegram_id in enumerate((desk.AGENT, desk.MANAGER)):
        query_id = telegram.state.new_callback_id()
        telegram.state.callback_queries[query_id] = None
        user = desk.staff_user(telegram, telegram_id)
        updates.append(
            {
                "update_id": 900_000 + offset,
                "callback_query": {
                    "id": query_id,
                    "from": user.to_dict(),
                    "message": shown.data,
                    "chat_instance": "1",
                    "data": data,
                },
            }
        )
    assert app.dispatcher and app.bot and app.sessionmaker
    await asyncio.gather(
        *(
            handle_update_once(
                app.dispatcher, app.bot, app.sessionmaker, app.clock, u, from_inbox=False
            )
            for u in updates
        )
    )
    texts = sorted(telegram.answer_for(u["callback_query"]["id"]).text for u in updates)
    assert len([t for t in texts if "已经接了这张工单" in t]) == 1
    assert await _assigned_events(app, ticket.id) == 1


async def _assigned_events(app: Application, ticket_id: int) -> int:
    assert app.sessionmaker is not None
    async with app.sessionmaker() as session:
        rows = await session.scalars(
            select(TicketEvent).where(
                TicketEvent.ticket_id == ticket_id, TicketEvent.kind == "assigned"
            )
        )
        return len(rows.all())


async def test_reply_in_the_group_goes_to_the_resident_and_followers_with_photos(
    app: Application, telegram: FakeTelegramServer
) -> None:
    ticket = await desk.file_ticket(app, telegram)
    alice = telegram.user(id=7002, first_name="Alice", language_code="en")
    await _join(app, ticket.id, alice.id, "Alice Smith")
    joined = await eventually(lambda: _shows(telegram, "受影响住户：2"))
    agent = desk.staff_user(telegram, desk.AGENT)
    desk.press(telegram, agent, joined, "reply")
    prompt = await desk.bot_says(telegram, desk.SUNSHINE_GROUP, "✍️")
    assert "您在本群的下一条消息就是回复" in prompt.text

    mark = telegram.mark()
    colleague = desk.staff_user(telegram, desk.MANAGER)  # someone else's chatter: no answer
    telegram.send_text(colleague, "大家先别急", chat_id=desk.SUNSHINE_GROUP)
    album = {"media_group_id": "album-1", "reply_to": prompt, "width": 64, "height": 48}
    first = telegram.send_photo(agent, desk.SUNSHINE_GROUP, caption="阀门坏了", **album)
    second = telegram.send_photo(agent, desk.SUNSHINE_GROUP, **album)
    ack = await desk.bot_says(telegram, desk.SUNSHINE_GROUP, "📎", since=mark)
    telegram.send_text(agent, "师傅下午两点到", chat_id=desk.SUNSHINE_GROUP, reply_to=ack)

    confirmation = await desk.bot_says(telegram, desk.SUNSHINE_GROUP, "已发送给", since=mark)
    assert ticket.number in confirmation.text
    photos = await telegram.wait_for("sendPhoto", chat_id=desk.RESIDENT, count=2, since=mark)
    assert [p.params["photo"] for p in photos] == [
        desk.photo_file_id(first),
        desk.photo_file_id(second),
    ]
    to_resident = desk.texts_to(telegram, desk.RESIDENT, since=mark)
    assert any("阀门坏了\n师傅下午两点到" in t for t in to_resident)
    assert not any("别急" in t for t in to_resident)
    await telegram.wait_for("sendPhoto", chat_id=alice.id, count=2, since=mark)
    assert any(
        t.startswith("Reply from the property office about SG-000001")
        for t in desk.texts_to(telegram, alice.id, since=mark)
    )
    assert len(telegram.calls_of("sendMessage", chat_id=desk.RESIDENT)) >= 1
    assert (
        await desk.reload(app, ticket.id)
    ).status is TicketStatus.ACKNOWLEDGED  # answering takes


async def test_reply_from_a_private_chat_can_ask_and_wait_and_shows_in_the_group(
    app: Application, telegram: FakeTelegramServer
) -> None:
    ticket = await desk.file_ticket(app, telegram)
    await desk.card(telegram, desk.SUNSHINE_GROUP, ticket.number)
    agent = desk.staff_user(telegram, desk.AGENT)
    opened = await say(telegram, agent, f"/ticket {ticket.number}")
    private_card = telegram.message(agent.id, opened.result["message_id"])
    desk.press(telegram, agent, private_card, "reply")
    prompt = await desk.bot_says(telegram, agent.id, "✍️")
    assert "请在这里发送" in prompt.text
    ask = telegram.press(agent, prompt, data=prompt.buttons()[0]["callback_data"])
    await eventually(lambda: telegram.answer_for(ask))
    mark = telegram.mark()
    photo = telegram.send_photo(agent, caption="是厨房还是卫生间？")
    await desk.bot_says(telegram, agent.id, "等待住户答复", since=mark)
    relayed = await telegram.wait_for("sendPhoto", chat_id=desk.RESIDENT, since=mark)
    assert relayed.params["photo"] == desk.photo_file_id(photo)
    relayed_texts = desk.texts_to(telegram, desk.RESIDENT, since=mark)
    assert any("是厨房还是卫生间？" in t for t in relayed_texts)
    await desk.bot_says(telegram, desk.SUNSHINE_GROUP, "↪️ 王芳 回复了 SG-000001 的住户", since=mark)
    # Staff read the status from their side (a resident reads "waiting for your answer").
    card = await desk.card(telegram, desk.SUNSHINE_GROUP, ticket.number)
    await eventually(
        lambda: "状态：等待住户答复" in (telegram.message(card.chat_id, card.message_id).text or "")
    )
    assert (await desk.reload(app, ticket.id)).status is TicketStatus.WAITING_ON_RESIDENT


async def test_a_note_is_kept_in_the_history_but_never_reaches_the_resident(
    app: Application, telegram: FakeTelegramServer, agent: StaffChat
) -> None:
    ticket = await desk.file_ticket(app, telegram)
    shown = await agent.card(ticket)
    mark = telegram.mark()
    await agent.press(shown, "note")
    prompt = await agent.bot_says("📝")
    agent.reply(prompt, "住户家里有狗，上门先打电话")
    await agent.bot_says("备注已保存", since=mark)
    assert not any("狗" in t for t in desk.texts_to(telegram, desk.RESIDENT))
    assert not any("狗" in str(m.payload) for m in await desk.queued_to(app, desk.RESIDENT))
    await agent.press_on_card(ticket, "details")
    details = await agent.bot_says_privately("处理记录")
    assert "🔒 内部备注：住户家里有狗，上门先打电话" in details.text


async def test_resolve_asks_what_was_done_and_the_resident_to_confirm(
    app: Application, telegram: FakeTelegramServer, agent: StaffChat
) -> None:
    ticket = await desk.file_ticket(app, telegram)
    await agent.press_on_card(ticket, "take")
    taken = await card_with(telegram, ticket.number, "👀")
    mark = telegram.mark()
    await agent.press(taken, "resolve")
    prompt = await agent.bot_says("做了哪些处理", since=mark)
    agent.reply(prompt, "已更换阀门")
    await agent.bot_says("已办结", since=mark)
    question = await telegram.wait_for(
        "sendMessage", lambda c: "已更换阀门" in c.params["text"], chat_id=desk.RESIDENT, since=mark
    )
    assert question.params["reply_markup"]["inline_keyboard"]  # fixed / not fixed
    resolved = await card_with(telegram, ticket.number, "✅")
    assert (await desk.reload(app, ticket.id)).status is TicketStatus.RESOLVED

    # The resident says it is not fixed: the card and the group hear of it.
    mark = telegram.mark()
    await desk.as_actor(
        app,
        desk.RESIDENT,
        lambda s, c, who: lifecycle.reopen(s, c, ticket.id, who, "还在漏水"),
    )
    await desk.bot_says(telegram, desk.SUNSHINE_GROUP, "还在漏水", since=mark)
    reopened = await card_with(telegram, ticket.number, "🔧")
    assert reopened.message_id == resolved.message_id  # the same card, edited in place
    assert (await desk.reload(app, ticket.id)).status is TicketStatus.IN_PROGRESS


async def card_with(
    telegram: FakeTelegramServer, number: str, icon: str, chat_id=desk.SUNSHINE_GROUP
):
    async def found():
        shown = await desk.card(telegram, chat_id, number)
        return shown if shown.text.startswith(icon) else None

    return await eventually(found)


def _shows(telegram: FakeTelegramServer, fragment: str, chat_id: int = desk.SUNSHINE_GROUP):
    return next((m for m in telegram.messages_in(chat_id) if fragment in (m.text or "")), None)


async def _join(app: Application, ticket_id: int, telegram_id: int, name: str) -> None:
    assert app.sessionmaker is not None
    async with app.sessionmaker() as session, session.begin():
        person = await add_resident(session, telegram_id, name, app.clock.now(), "en")
        await lifecycle.join_as_follower(session, desk.ctx(app), ticket_id, person)


async def test_reassign_to_a_colleague_tells_them_privately(
    app: Application, telegram: FakeTelegramServer, manager: StaffChat, agent: StaffChat
) -> None:
    ticket = await desk.file_ticket(app, telegram)
    menu = await manager.open_from_card(ticket, "reassign", "转派给谁")
    # The project's staff (minus whoever holds it), or another project.
    assert menu.button_texts() == ["👤 李强", "👤 王芳", "➡️ 转到其他项目", "取消"]
    mark = telegram.mark()
    await manager.press_label(menu, "👤 王芳")
    told = await agent.bot_says_privately("李强 将工单 SG-000001 分派给了您", since=mark)
    assert told.buttons()  # the card, to act on it from the private chat
    await eventually(lambda: _shows(telegram, "处理人：王芳"))
    assert (await desk.reload(app, ticket.id)).assignee_id is not None


async def test_reassign_to_another_project_moves_the_card_to_its_group(
    app: Application, telegram: FakeTelegramServer
) -> None:
    ticket = await desk.file_ticket(app, telegram)
    region = desk.staff_user(telegram, desk.REGION_MANAGER)  # manages both projects
    old = await desk.card(telegram, desk.SUNSHINE_GROUP, ticket.number)
    await eventually(lambda: _card_recorded(app, ticket.id))  # the card's id is on record
    desk.press(telegram, region, old, "reassign")
    menu = await desk.bot_says(telegram, desk.SUNSHINE_GROUP, "转派给谁")
    telegram.press(region, menu, text="➡️ 转到其他项目")
    projects = await eventually(lambda: _edited_to(telegram, menu, "转到哪个项目"))
    telegram.press(region, projects, text="🏢 星河广场")
    moved = await desk.card(telegram, desk.PLAZA_GROUP, ticket.number)
    assert moved.button_texts()[0] == "接单"
    await eventually(lambda: _edited_to(telegram, old, "已转到 星河广场"))
    assert not telegram.message(
        desk.SUNSHINE_GROUP, old.message_id
    ).buttons()  # old card: no buttons
    # Plaza staff can now take it; sunshine's agent no longer can.
    await desk.add_staff(app, 5201, "孙丽", StaffRole.AGENT, "plaza")
    plaza_agent = telegram.user(id=5201, first_name="孙丽")
    taken = desk.press(telegram, plaza_agent, moved, "take")
    assert "SG-000001" in await desk.alert(telegram, taken)
    moved_on = desk.press(telegram, desk.staff_user(telegram, desk.AGENT), moved, "details")
    assert await desk.alert(telegram, moved_on) == "只有该工单所属项目的工作人员才能执行此操作。"


async def _card_recorded(app: Application, ticket_id: int) -> bool:
    return (await desk.reload(app, ticket_id)).card_message_id is not None


def _edited_to(telegram: FakeTelegramServer, message, fragment: str):
    current = telegram.message(message.chat_id, message.message_id)
    return current if current is not None and fragment in (current.text or "") else None


async def test_queue_lists_open_tickets_soonest_deadline_first_and_pages(
    app: Application, telegram: FakeTelegramServer, clock: ManualClock
) -> None:
    normal = await desk.file_ticket(app, telegram, description="普通")  # respond within 24 h
    clock.advance(minutes=1)
    urgent = await desk.file_ticket(app, telegram, resident_id=7003, description="急", urgent=True)
    await desk.file_ticket(app, telegram, project="plaza", resident_id=7004, description="别的项目")
    clock.advance(minutes=1)
    taken = await desk.file_ticket(app, telegram, resident_id=7005, description="已接")
    await desk.as_actor(
        app, desk.AGENT, lambda s, c, who: lifecycle.take(s, c, taken.id, who, None)
    )
    agent = desk.staff_user(telegram, desk.AGENT)
    listed = await say_in_group(telegram, agent, "/queue", "未结工单")
    order = [line.split(" · ")[0] for line in listed.text.split("\n")[1:] if "SG-" in line]
    # Urgent (30 min) first, then the 24 h first responses; the taken one waits for 48 h.
    assert order == [urgent.number, normal.number, taken.number]
    assert "XH-" not in listed.text  # another project's ticket never shows in this group
    assert [b["text"] for b in listed.buttons()] == [urgent.number, normal.number, taken.number]

    region = desk.staff_user(telegram, desk.REGION_MANAGER)
    everything = await said(telegram, region, "/queue")
    assert "XH-000001" in everything.text
    # The region's queue spans two projects: each line says which.
    lines = [line for line in everything.text.split("\n") if " · " in line and "-0000" in line]
    assert all(line.split(" · ")[1] in ("阳光花园", "星河广场") for line in lines), lines
    assert any(line.startswith("XH-000001 · 星河广场 · 待处理") for line in lines), lines
    assert "阳光花园" not in listed.text  # one project's group: no need to say

    assert listed.text.startswith("按时限先后排列的未结工单（3）")
    mine = await said(telegram, agent, "/mine")
    assert taken.number in mine.text and normal.number not in mine.text

    clock.advance(hours=1)  # the urgent one's 30 minutes are past: marked, and by how much
    late = (await said(telegram, agent, "/queue")).text.split("\n")
    urgent_due = late[late.index(next(x for x in late if x.startswith(urgent.number))) + 1]
    assert urgent_due.strip().startswith("⚠️ 已超时 3") and "分钟（期限 " in urgent_due
    normal_due = late[late.index(next(x for x in late if x.startswith(normal.number))) + 1]
    assert normal_due.strip().startswith("时限 ")

    for i in range(8):
        await desk.file_ticket(app, telegram, resident_id=7100 + i, description=f"第{i}个")
    first_page = await said(telegram, agent, "/queue")
    assert "第 1 页，共 2 页" in first_page.text
    telegram.press(agent, first_page, text="下一页 ▶")
    second = await eventually(lambda: _edited_to(telegram, first_page, "第 2 页，共 2 页"))
    assert len([line for line in second.text.split("\n") if "SG-" in line]) == 3


async def said(telegram: FakeTelegramServer, user, text: str):
    """The bot's answer to ``text`` in the user's private chat, as a stored message."""
    call = await say(telegram, user, text)
    return telegram.message(user.id, call.result["message_id"])


async def say_in_group(
    telegram: FakeTelegramServer, user, text: str, answer: str, chat_id=desk.SUNSHINE_GROUP
):
    mark = telegram.mark()
    telegram.send_text(user, text, chat_id=chat_id)
    return await desk.bot_says(telegram, chat_id, answer, since=mark)


async def test_details_show_the_phone_only_privately_and_only_to_assignee_or_managers(
    app: Application, telegram: FakeTelegramServer, agent: StaffChat, manager: StaffChat
) -> None:
    ticket = await desk.file_ticket(app, telegram)
    shown = await agent.card(ticket)
    group_before = len(telegram.messages_in(desk.SUNSHINE_GROUP))
    assert await agent.press(shown, "details") == "已通过私聊发送给您。"
    for_agent = await agent.bot_says_privately("处理记录")
    assert "+86" not in for_agent.text and "张小明" not in for_agent.text  # not the assignee
    await manager.press(shown, "details")
    for_manager = await manager.bot_says_privately("处理记录")
    assert "住户：张小明 · 电话：+8613800000000" in for_manager.text
    assert len(telegram.messages_in(desk.SUNSHINE_GROUP)) == group_before  # nothing in the group
    assert not any("+86" in (m.text or "") for m in telegram.messages_in(desk.SUNSHINE_GROUP))
    views = await eventually(lambda: _personal_data_views(app))  # committed after the answer
    assert [(v.actor_telegram_id, v.ticket_id) for v in views] == [(desk.MANAGER, ticket.id)]


async def test_details_pressed_in_a_group_by_someone_the_bot_cannot_write_to(
    app: Application, telegram: FakeTelegramServer, manager: StaffChat
) -> None:
    """The private chat is refused after the press's update has committed: the presser is
    told how to open it, the group sees nothing, and no view of personal data is audited."""
    ticket = await desk.file_ticket(app, telegram)
    shown = await manager.card(ticket)
    telegram.block_chat(desk.MANAGER)
    group_before = len(telegram.messages_in(desk.SUNSHINE_GROUP))
    assert (await manager.press(shown, "details")).startswith("请先与我开始私聊（https://t.me/")
    assert len(telegram.messages_in(desk.SUNSHINE_GROUP)) == group_before
    assert await _personal_data_views(app) == []  # the alert came after the refusal
    telegram.unblock_chat(desk.MANAGER)
    assert await manager.press(shown, "details") == "已通过私聊发送给您。"
    assert "电话：+8613800000000" in (await manager.bot_says_privately("处理记录")).text
    assert len(await eventually(lambda: _personal_data_views(app))) == 1


async def test_details_from_a_group_press_whose_commit_failed_are_sent_once(
    app: Application,
    telegram: FakeTelegramServer,
    manager: StaffChat,
    clock: ManualClock,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The press's first try does not commit, the second does: the Details go privately
    once, one view of personal data is audited, the press is answered once."""
    ticket = await desk.file_ticket(app, telegram)
    shown = await manager.card(ticket)
    with failing_commits(monkeypatch):
        pressed = desk.press(telegram, manager.user, shown, "details")
        # The failure written down (the try counted, its back-off set) before time moves.
        await eventually(lambda: _press_is(app, InboundStatus.PENDING, attempts=1))
    retry_after_backoff(app, clock)
    assert await desk.alert(telegram, pressed) == "已通过私聊发送给您。"
    await eventually(lambda: _press_is(app, InboundStatus.DONE))
    # Its work started at the commit: once it is done, nothing else is on its way.
    await eventually(lambda: not _tasks_named("details-privately"))
    details = [m for m in telegram.messages_in(desk.MANAGER) if "处理记录" in (m.text or "")]
    assert len(details) == 1
    assert len(await _personal_data_views(app)) == 1
    query_id = str(pressed["callback_query"]["id"])
    answers = telegram.calls_of("answerCallbackQuery", callback_query_id=query_id)
    assert [a.fault for a in answers] == [None]  # answered once, never refused a second time


async def test_details_on_their_way_when_the_bot_stops_still_arrive(
    app: Application, telegram: FakeTelegramServer, manager: StaffChat
) -> None:
    """A stop waits for the work an update started after its commit: Details pressed in
    a group and slow to send (Telegram answers late) reach the presser, the view of
    personal data is audited and the press is answered, before the stop returns."""
    ticket = await desk.file_ticket(app, telegram)
    shown = await manager.card(ticket)
    telegram.delay_next("sendMessage", 1.0, chat_id=desk.MANAGER)
    pressed = desk.press(telegram, manager.user, shown, "details")
    await eventually(lambda: _tasks_named("details-privately"))
    await app.stop()
    assert not _tasks_named("details-privately")
    details = [m for m in telegram.messages_in(desk.MANAGER) if "处理记录" in (m.text or "")]
    assert len(details) == 1
    assert len(await _personal_data_views(app)) == 1
    query_id = str(pressed["callback_query"]["id"])
    answers = telegram.calls_of("answerCallbackQuery", callback_query_id=query_id)
    assert [(a.params.get("text"), a.fault) for a in answers] == [("已通过私聊发送给您。", None)]


async def _press_is(app: Application, status: InboundStatus, attempts: int | None = None) -> bool:
    row = await inbox_row(app)
    if row is None or row.status is not status:
        return False
    return attempts is None or row.attempts == attempts


def _tasks_named(name: str) -> list[asyncio.Task[object]]:
    return [t for t in asyncio.all_tasks() if t.get_name() == name]


async def _personal_data_views(app: Application):
    return [e for e in await desk.audit_entries(app) if e.action == "personal_data.view"]


async def test_a_ticket_number_alone_in_private_opens_its_card_for_staff(
    app: Application, telegram: FakeTelegramServer
) -> None:
    """Staff write a number as they read it to each other ("sg-1"): its card, as /ticket
    shows it; someone else's number, from another project, is refused the same way."""
    ticket = await desk.file_ticket(app, telegram, description="水管漏水，厨房")
    agent = desk.staff_user(telegram, desk.AGENT)
    opened = await say(telegram, agent, "sg-1")
    assert opened.params["text"].startswith(f"🆕 <b>{ticket.number}</b>")
    assert "水管漏水，厨房" in opened.params["text"]
    assert "接单" in buttons(opened)

    await desk.add_staff(app, 5201, "孙丽", StaffRole.AGENT, "plaza")
    outsider = telegram.user(id=5201, first_name="孙丽", language_code="zh-hans")
    refused = await say(telegram, outsider, ticket.number)
    assert refused.params["text"] == "只有该工单所属项目的工作人员才能执行此操作。"
