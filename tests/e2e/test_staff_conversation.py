"""Staff talk to a resident where they work: in a forum group each ticket has its own
topic (what staff write there reaches the resident, a /note does not, the resident's
words appear there, the topic follows the ticket's status); in a plain group, after
Reply the presser's next message is the answer, and a Telegram reply to the resident's
words answers that ticket. (Answering from a private chat: test_staff_desk.py.)"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from bot.app.application import Application
from bot.clock import ManualClock
from bot.presentation.texts import STATUS_ICONS
from bot.services.tickets import lifecycle
from fake_telegram import FakeTelegramServer, StoredMessage
from fake_telegram.models import ApiCall
from scheduler import jobs
from storage.models import (
    OrgUnit,
    OutboxStatus,
    Ticket,
    TicketEvent,
    TicketEventKind,
    TicketStatus,
)
from tests.conftest import eventually
from tests.e2e import staff_helpers as desk
from tests.e2e.chat import StaffChat
from tests.e2e.residents import buttons, delivered, message_of, settled
from tests.e2e.survey_support import unit_id
from tests.integration.ticket_fixtures import project_id

GROUP = desk.SUNSHINE_GROUP


async def a_forum(app: Application, telegram: FakeTelegramServer, agent: StaffChat) -> None:
    """The project's group turns on Topics (the bot is an admin); the bot sees it as soon
    as someone writes there."""
    telegram.add_group(GROUP, "阳光花园项目部", is_forum=True)
    telegram.state.chats[GROUP].bot_status = "administrator"
    telegram.send_text(agent.user, "大家好", chat_id=GROUP)

    async def seen() -> bool:
        assert app.sessionmaker is not None
        async with app.sessionmaker() as session:
            unit = await session.scalar(select(OrgUnit).where(OrgUnit.group_chat_id == GROUP))
            return bool(unit and unit.group_is_forum)

    await eventually(seen)


async def topic_of(telegram: FakeTelegramServer, number: str) -> int:
    """The thread of the topic the bot created for the ticket ``number``."""
    created = await telegram.wait_for(
        "createForumTopic", lambda c: c.ok and number in c.params["name"], chat_id=GROUP
    )
    return int(created.result["message_thread_id"])


async def a_ticket_in_its_topic(
    app: Application, telegram: FakeTelegramServer, agent: StaffChat
) -> tuple[Ticket, int]:
    """In a forum group, a resident's ticket, its topic's thread and its card there."""
    await a_forum(app, telegram, agent)
    ticket = await desk.file_ticket(app, telegram)
    thread = await topic_of(telegram, ticket.number)
    await agent.card(ticket)
    return ticket, thread


async def to_resident(telegram: FakeTelegramServer, fragment: str, *, since: int = 0) -> ApiCall:
    return await telegram.wait_for(
        "sendMessage",
        lambda c: fragment in c.params.get("text", ""),
        chat_id=desk.RESIDENT,
        since=since,
    )


async def in_topic(
    telegram: FakeTelegramServer, thread: int, fragment: str, *, since: int = 0
) -> StoredMessage:
    message = await desk.bot_says(telegram, GROUP, fragment, since=since)
    assert message.get("message_thread_id") == thread
    return message


async def events(app: Application, ticket_id: int, kind: TicketEventKind) -> list[str]:
    await settled(app)
    assert app.sessionmaker is not None
    async with app.sessionmaker() as session:
        rows = await session.scalars(
            select(TicketEvent.body)
            .where(TicketEvent.ticket_id == ticket_id, TicketEvent.kind == kind)
            .order_by(TicketEvent.id)
        )
        return [str(body) for body in rows]


async def delivered_to_group(app: Application) -> None:
    """The bot's messages to the group are sent and their Telegram ids recorded (a staff
    member can only reply to a message they see; the test is quicker than any person)."""

    async def all_sent() -> bool:
        queued = await desk.queued_to(app, GROUP)
        return all(m.status is not OutboxStatus.PENDING for m in queued)

    await eventually(all_sent)


async def resident_writes(app: Application, ticket_id: int, text: str) -> None:
    await desk.as_actor(
        app,
        desk.RESIDENT,
        lambda session, ctx, who: lifecycle.add_resident_comment(
            session, ctx, ticket_id, who, text
        ),
    )


async def test_a_forum_group_gets_a_topic_per_ticket_where_staff_talk_to_the_resident(
    app: Application, telegram: FakeTelegramServer, agent: StaffChat
) -> None:
    await a_forum(app, telegram, agent)
    flat = await unit_id(app, "1", "101")
    first = await desk.file_ticket(app, telegram, description="厨房水管漏水", property_unit_id=flat)
    second = await desk.file_ticket(app, telegram, description="电梯异响", category_key="lift")
    thread = await topic_of(telegram, first.number)
    other = await topic_of(telegram, second.number)
    assert thread != other
    created = telegram.calls_of("createForumTopic", chat_id=GROUP)[0]
    assert created.params["name"].startswith(f"🆕 {first.number} · 漏水 · ")  # the category
    assert created.params["name"].endswith("101")  # and the unit
    card = await agent.card(first)
    assert card.get("message_thread_id") == thread  # the card opens the topic
    await in_topic(telegram, thread, "/note")  # how to talk there

    mark = telegram.mark()
    telegram.send_text(agent.user, "明天上午十点上门检修", chat_id=GROUP, message_thread_id=thread)
    relayed = await to_resident(telegram, "明天上午十点上门检修", since=mark)
    assert first.number in relayed.params["text"]
    await eventually(lambda: telegram.state.reactions.get((GROUP, relayed_from(telegram))))

    mark = telegram.mark()
    telegram.send_text(agent.user, "/note 住户家里有狗", chat_id=GROUP, message_thread_id=thread)
    await in_topic(telegram, thread, "备注已保存", since=mark)
    mark_note = telegram.mark()
    telegram.send_text(agent.user, "#note 需要带梯子", chat_id=GROUP, message_thread_id=thread)
    await in_topic(telegram, thread, "备注已保存", since=mark_note)
    assert await events(app, first.id, TicketEventKind.NOTE) == ["住户家里有狗", "需要带梯子"]
    assert not any(
        "狗" in t or "梯子" in t for t in desk.texts_to(telegram, desk.RESIDENT, since=mark)
    )
    assert await events(app, first.id, TicketEventKind.REPLY) == ["明天上午十点上门检修"]
    assert await events(app, second.id, TicketEventKind.REPLY) == []

    # The resident answers in their chat (a Telegram reply to the relayed message).
    mark = telegram.mark()
    resident = telegram.user(id=desk.RESIDENT, first_name="张小明")
    telegram.send_text(resident, "好的，我在家等", reply_to=message_of(relayed))
    await to_resident(telegram, f"已添加到 {first.number}", since=mark)
    await in_topic(telegram, thread, "好的，我在家等", since=mark)
    assert await events(app, first.id, TicketEventKind.COMMENT) == ["好的，我在家等"]

    # Answering took the ticket: the topic's name shows it.
    renamed = await telegram.wait_for("editForumTopic", chat_id=GROUP)
    assert renamed.params["message_thread_id"] == thread
    assert renamed.params["name"].startswith(f"👀 {first.number}")


def relayed_from(telegram: FakeTelegramServer) -> int:
    """The id of the agent's last message in the group (the one the bot relayed)."""
    mine = [m for m in telegram.messages_in(GROUP, include_user_messages=True) if not m.from_bot]
    return mine[-1].message_id


async def test_the_topic_is_renamed_closed_and_reopened_with_the_ticket(
    app: Application, telegram: FakeTelegramServer, agent: StaffChat
) -> None:
    ticket, thread = await a_ticket_in_its_topic(app, telegram, agent)
    await agent.press_on_card(ticket, "take")
    await eventually(lambda: telegram.state.chats[GROUP].topics[thread].name.startswith("👀"))

    async def resolve(session, ctx, who):
        return await lifecycle.resolve(session, ctx, ticket.id, who, "已更换阀门")

    await desk.as_actor(app, desk.AGENT, resolve)
    await eventually(lambda: telegram.state.chats[GROUP].topics[thread].closed)
    assert telegram.state.chats[GROUP].topics[thread].name.startswith("✅")

    mark = telegram.mark()
    telegram.send_text(agent.user, "还有问题吗？", chat_id=GROUP, message_thread_id=thread)
    refused = await in_topic(telegram, thread, "没有发给住户", since=mark)
    assert ticket.number in (refused.text or "")

    async def not_fixed(session, ctx, who):
        return await lifecycle.reopen(session, ctx, ticket.id, who, "还在漏水")

    await desk.as_actor(app, desk.RESIDENT, not_fixed)
    await eventually(lambda: not telegram.state.chats[GROUP].topics[thread].closed)
    await in_topic(telegram, thread, "还在漏水")  # the resident's reason, in the topic
    assert telegram.state.chats[GROUP].topics[thread].name.startswith("🔧")
    assert (await desk.reload(app, ticket.id)).status is TicketStatus.IN_PROGRESS


async def test_in_a_plain_group_after_reply_the_next_message_is_the_answer(
    app: Application, telegram: FakeTelegramServer, agent: StaffChat, clock: ManualClock
) -> None:
    ticket = await desk.file_ticket(app, telegram)
    prompt = await agent.open_from_card(ticket, "reply", "✍️")
    assert "下一条消息" in (prompt.text or "") and "✖ 取消" in str(prompt.buttons())
    mark = telegram.mark()
    telegram.send_text(agent.user, "师傅下午两点到", chat_id=GROUP)  # no Telegram reply
    await to_resident(telegram, "师傅下午两点到", since=mark)
    await agent.bot_says(f"已发送给 {ticket.number} 的住户", since=mark)

    # A prompt left alone expires: a later message is ordinary chat, not an answer.
    await delivered_to_group(app)  # the card shows the ticket's new version
    await agent.open_from_card(ticket, "reply", "✍️", since=mark)
    clock.advance(timedelta(minutes=11))
    mark = telegram.mark()
    telegram.send_text(agent.user, "大家晚上去吃饭吗", chat_id=GROUP)
    await agent.bot_says("⌛", since=mark)
    assert not any("吃饭" in t for t in desk.texts_to(telegram, desk.RESIDENT))
    telegram.send_text(agent.user, "还有人吗", chat_id=GROUP)
    await settled(app)
    assert await events(app, ticket.id, TicketEventKind.REPLY) == ["师傅下午两点到"]


async def test_a_telegram_reply_to_the_residents_words_in_the_group_answers_that_ticket(
    app: Application, telegram: FakeTelegramServer, agent: StaffChat
) -> None:
    first = await desk.file_ticket(app, telegram)
    second = await desk.file_ticket(app, telegram, description="电梯异响", category_key="lift")
    await agent.card(second)
    await resident_writes(app, first.id, "水已经流到楼下了")
    said = await agent.bot_says("水已经流到楼下了")
    await delivered_to_group(app)
    mark = telegram.mark()
    telegram.send_text(agent.user, "马上派人过去", chat_id=GROUP, reply_to=said)
    await to_resident(telegram, "马上派人过去", since=mark)
    await agent.bot_says(f"已发送给 {first.number} 的住户", since=mark)
    assert await events(app, first.id, TicketEventKind.REPLY) == ["马上派人过去"]
    assert await events(app, second.id, TicketEventKind.REPLY) == []
    # Ordinary chatter in the group reaches nobody.
    telegram.send_text(agent.user, "收到", chat_id=GROUP)
    await settled(app)
    assert await events(app, first.id, TicketEventKind.REPLY) == ["马上派人过去"]
    # A reply may also be an internal note.
    telegram.send_text(agent.user, "/note 楼下也要看看", chat_id=GROUP, reply_to=said)
    await agent.bot_says("备注已保存", since=mark)
    assert await events(app, first.id, TicketEventKind.NOTE) == ["楼下也要看看"]


async def test_a_staff_photo_in_the_topic_reaches_the_resident_with_reply(
    app: Application, telegram: FakeTelegramServer, agent: StaffChat
) -> None:
    ticket, thread = await a_ticket_in_its_topic(app, telegram, agent)
    mark = telegram.mark()
    telegram.send_photo(agent.user, chat_id=GROUP, caption="换下来的阀门", message_thread_id=thread)
    text = await to_resident(telegram, "换下来的阀门", since=mark)
    assert buttons(text) == ["💬 回复"]
    photo = await telegram.wait_for("sendPhoto", chat_id=desk.RESIDENT, since=mark)
    assert photo.params["caption"] == ticket.number
    assert buttons(photo) == ["💬 回复"]


async def test_the_topic_is_closed_when_staff_cancel_the_ticket(
    app: Application, telegram: FakeTelegramServer, agent: StaffChat
) -> None:
    ticket, thread = await a_ticket_in_its_topic(app, telegram, agent)

    async def cancel(session, ctx, who):
        return await lifecycle.cancel_by_staff(session, ctx, ticket.id, who, "重复报修")

    await desk.as_actor(app, desk.AGENT, cancel)
    await eventually(lambda: telegram.state.chats[GROUP].topics[thread].closed)
    assert (await desk.reload(app, ticket.id)).status is TicketStatus.CANCELLED


async def test_a_ticket_cancelled_while_its_topic_is_being_created_gets_it_closed(
    app: Application, telegram: FakeTelegramServer, agent: StaffChat
) -> None:
    """Staff cancel the ticket while Telegram is still making its topic (the sender waits
    for the answer, too late to change the call): the topic, once made, takes the
    ticket's status in its name and is closed."""
    await a_forum(app, telegram, agent)
    telegram.delay_next("createForumTopic", 4, chat_id=GROUP)
    ticket = await desk.file_ticket(app, telegram)
    creating = await telegram.wait_for("createForumTopic", chat_id=GROUP)
    assert creating.params["name"].startswith(STATUS_ICONS[TicketStatus.NEW])

    async def cancel(session, ctx, who):
        return await lifecycle.cancel_by_staff(session, ctx, ticket.id, who, "重复报修")

    await desk.as_actor(app, desk.AGENT, cancel)
    telegram.release_delayed()
    topic = telegram.state.chats[GROUP].topics[int(creating.result["message_thread_id"])]
    await eventually(lambda: topic.closed)
    await eventually(lambda: topic.name.startswith(STATUS_ICONS[TicketStatus.CANCELLED]))


async def test_a_topic_made_after_its_ticket_moved_to_another_project_is_closed(
    app: Application, telegram: FakeTelegramServer, agent: StaffChat
) -> None:
    """The ticket moves to another project's group while Telegram is still making its
    topic in the old one: that topic is no longer the ticket's, and is closed once made."""
    await a_forum(app, telegram, agent)
    telegram.delay_next("createForumTopic", 4, chat_id=GROUP)
    ticket = await desk.file_ticket(app, telegram)
    creating = await telegram.wait_for("createForumTopic", chat_id=GROUP)

    async def move(session, ctx, who):
        plaza = await project_id(session, "plaza")
        return await lifecycle.reassign(session, ctx, ticket.id, who, to_project_id=plaza)

    await desk.as_actor(app, desk.REGION_MANAGER, move)
    telegram.release_delayed()
    topic = telegram.state.chats[GROUP].topics[int(creating.result["message_thread_id"])]
    await eventually(lambda: topic.closed)
    await desk.card(telegram, desk.PLAZA_GROUP, ticket.number)
    assert (await desk.reload(app, ticket.id)).topic_chat_id is None


async def test_after_cancel_on_the_prompt_the_next_message_is_not_relayed(
    app: Application, telegram: FakeTelegramServer, agent: StaffChat
) -> None:
    ticket = await desk.file_ticket(app, telegram)
    prompt = await agent.open_from_card(ticket, "reply", "✍️")
    await agent.press_label(prompt, "✖ 取消")
    mark = telegram.mark()
    telegram.send_text(agent.user, "师傅下午两点到", chat_id=GROUP)
    await delivered(app)
    assert not any(
        "师傅下午两点到" in t for t in desk.texts_to(telegram, desk.RESIDENT, since=mark)
    )
    assert await events(app, ticket.id, TicketEventKind.REPLY) == []


async def test_deadline_messages_about_a_ticket_go_to_its_topic(
    app: Application, telegram: FakeTelegramServer, agent: StaffChat, clock: ManualClock
) -> None:
    """The warning and the escalation about one ticket land in its topic, where staff
    talk about it; the region's group, where it has none, gets its escalation as before."""
    ticket, thread = await a_ticket_in_its_topic(app, telegram, agent)
    await delivered_to_group(app)
    clock.advance(timedelta(hours=18))  # 75 % of the 24 h to respond
    await jobs.sweep_sla_deadlines(app)
    assert app.sender is not None
    app.sender.wake()
    warning = await in_topic(telegram, thread, "⏰")
    assert ticket.number in (warning.text or "")
    clock.advance(timedelta(hours=6))
    await jobs.sweep_sla_deadlines(app)
    app.sender.wake()
    escalation = await in_topic(telegram, thread, "🔺")
    assert ticket.number in (escalation.text or "")

    clock.advance(timedelta(hours=8))  # the region hears 8 h after the deadline
    await jobs.sweep_sla_deadlines(app)
    app.sender.wake()
    region = await desk.bot_says(telegram, desk.EAST_GROUP, ticket.number)
    assert region.get("message_thread_id") is None
