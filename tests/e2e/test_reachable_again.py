"""A resident who blocked the bot, then writes to it again, hears what was held for them:
once, in order, and plainly told what could not be sent."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from bot.app.application import Application
from bot.clock import ManualClock
from bot.services.tickets import lifecycle
from fake_telegram import FakeTelegramServer, FakeUser
from storage.models import InboundStatus, InboundUpdate, OutboxMessage, OutboxStatus, Person
from tests.conftest import eventually
from tests.e2e import residents
from tests.e2e import staff_helpers as desk
from tests.e2e.chat import StaffChat
from tests.e2e.conftest import say

STATUS_NEWS = "and is on it"
ON_MY_WAY = "On my way"


async def reachable(app: Application, telegram_id: int) -> bool:
    assert app.sessionmaker is not None
    async with app.sessionmaker() as session:
        person = await session.scalar(select(Person).where(Person.telegram_id == telegram_id))
    assert person is not None
    return person.reachable


async def outbox_to(app: Application, chat_id: int) -> list[OutboxMessage]:
    assert app.sessionmaker is not None
    async with app.sessionmaker() as session:
        query = select(OutboxMessage).where(OutboxMessage.chat_id == chat_id)
        return list((await session.scalars(query.order_by(OutboxMessage.id))).all())


async def refused_while_blocked(app: Application, chat_id: int) -> bool:
    return any(m.status is OutboxStatus.INACTIVE for m in await outbox_to(app, chat_id))


async def handled(app: Application) -> int:
    assert app.sessionmaker is not None
    async with app.sessionmaker() as session:
        done = select(func.count()).where(InboundUpdate.status == InboundStatus.DONE)
        return await session.scalar(done) or 0


async def _handled_more_than(app: Application, count: int) -> bool:
    return await handled(app) > count


def delivered_texts(telegram: FakeTelegramServer, chat_id: int) -> list[str]:
    return [c.params["text"] for c in telegram.calls_of("sendMessage", chat_id=chat_id) if c.ok]


async def test_a_resident_who_blocked_the_bot_gets_the_held_news_once_when_they_write_again(
    app: Application, telegram: FakeTelegramServer, resident_en: FakeUser, agent: StaffChat
) -> None:
    ticket = await desk.file_ticket(
        app, telegram, resident_id=resident_en.id, name="Alice Smith", language="en"
    )
    await desk.card(telegram, desk.SUNSHINE_GROUP, ticket.number)
    telegram.block_chat(resident_en.id)

    await agent.press_on_card(ticket, "take")  # "… and is on it" for Alice: refused (403)
    await eventually(lambda: refused_while_blocked(app, resident_en.id))
    assert not await reachable(app, resident_en.id)
    assert not [t for t in delivered_texts(telegram, resident_en.id) if STATUS_NEWS in t]

    mark = telegram.mark()
    answer = await say(telegram, resident_en, "/help")  # writing unblocks the chat
    held = await telegram.wait_for(
        "sendMessage", lambda c: STATUS_NEWS in c.params["text"], chat_id=resident_en.id, since=mark
    )
    note = await telegram.wait_for(
        "sendMessage", lambda c: "Welcome back" in c.params["text"], chat_id=resident_en.id
    )
    assert answer.seq < held.seq < note.seq  # the answer, then the held news, then the note
    assert ticket.number in held.params["text"] and held.ok
    assert note.params["text"] == (
        "ℹ️ Welcome back! While the bot was blocked, we could not write to you.\n"
        "Messages we held for you, now delivered above: 1.\n"
        "Where your tickets stand now: /tickets"
    )
    assert await reachable(app, resident_en.id)

    # More news and more messages from Alice: nothing held is sent again.
    await residents.settled(app)
    await desk.as_actor(
        app, desk.AGENT, lambda s, c, a: lifecycle.reply_to_resident(s, c, ticket.id, a, ON_MY_WAY)
    )
    await telegram.wait_for(
        "sendMessage", lambda c: ON_MY_WAY in c.params["text"], chat_id=resident_en.id
    )
    await say(telegram, resident_en, "/help")
    await residents.delivered(app)
    texts = delivered_texts(telegram, resident_en.id)
    assert len([t for t in texts if STATUS_NEWS in t]) == 1
    assert len([t for t in texts if "Welcome back" in t]) == 1
    assert {m.status for m in await outbox_to(app, resident_en.id)} == {OutboxStatus.SENT}


async def test_news_held_too_long_is_not_sent_and_the_resident_is_told_so(
    app: Application,
    telegram: FakeTelegramServer,
    resident_en: FakeUser,
    agent: StaffChat,
    clock: ManualClock,
) -> None:
    ticket = await desk.file_ticket(
        app, telegram, resident_id=resident_en.id, name="Alice Smith", language="en"
    )
    await desk.card(telegram, desk.SUNSHINE_GROUP, ticket.number)
    telegram.block_chat(resident_en.id)
    await agent.press_on_card(ticket, "take")
    await eventually(lambda: refused_while_blocked(app, resident_en.id))

    clock.advance(timedelta(days=8))  # a week and more later, she writes again
    mark = telegram.mark()
    await say(telegram, resident_en, "/help")
    note = await telegram.wait_for(
        "sendMessage", lambda c: "Welcome back" in c.params["text"], chat_id=resident_en.id
    )
    assert note.params["text"] == (
        "ℹ️ Welcome back! While the bot was blocked, we could not write to you.\n"
        "Older messages that are no longer sent: 1.\n"
        "Where your tickets stand now: /tickets"
    )
    await residents.delivered(app)
    sent_since = [
        c.params["text"]
        for c in telegram.calls_of("sendMessage", chat_id=resident_en.id)
        if c.seq >= mark
    ]
    assert not [t for t in sent_since if STATUS_NEWS in t]
    assert [m.status for m in await outbox_to(app, resident_en.id)].count(
        OutboxStatus.INACTIVE
    ) == 1  # still parked, visible to admins in /outbox inactive


async def test_a_staff_member_writing_in_a_group_is_not_taken_as_reachable_privately(
    app: Application, telegram: FakeTelegramServer, agent: StaffChat
) -> None:
    assert app.sessionmaker is not None
    async with app.sessionmaker() as session, session.begin():
        person = await session.scalar(select(Person).where(Person.telegram_id == desk.AGENT))
        assert person is not None
        person.reachable = False  # Telegram refused a private message to them (403)
    before = await handled(app)
    telegram.send_text(agent.user, "Good morning, everyone", chat_id=desk.SUNSHINE_GROUP)
    await eventually(lambda: _handled_more_than(app, before))
    assert not await reachable(app, desk.AGENT)  # a group message proves nothing

    await say(telegram, agent.user, "/help")
    await residents.settled(app)
    assert await reachable(app, desk.AGENT)
