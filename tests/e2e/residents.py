"""Helpers for resident end-to-end tests: act like a resident, read what the bot did."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.app.application import Application
from bot.services import unit_codes
from fake_telegram import FakeTelegramServer, FakeUser
from fake_telegram.models import ApiCall
from storage.models import (
    Building,
    InboundStatus,
    InboundUpdate,
    OrgUnit,
    OutboxMessage,
    OutboxStatus,
    Person,
    PropertyUnit,
    ResidentUnit,
    Ticket,
)
from tests.conftest import eventually

SUNSHINE_GROUP = -1009000000100
PLAZA_GROUP = -1009000000200


async def say(
    telegram: FakeTelegramServer, user: FakeUser, text: str, *, timeout: float = 5.0
) -> ApiCall:
    """Send ``text`` in the user's private chat and return the bot's next message there."""
    mark = telegram.mark()
    telegram.send_text(user, text)
    return await telegram.wait_for("sendMessage", chat_id=user.id, since=mark, timeout=timeout)


def buttons(call: ApiCall) -> list[str]:
    """Texts of the inline buttons of a sent or edited message."""
    markup = call.params.get("reply_markup") or {}
    return [b["text"] for row in markup.get("inline_keyboard", []) for b in row]


def reply_buttons(call: ApiCall) -> list[str]:
    markup = call.params.get("reply_markup") or {}
    return [b["text"] for row in markup.get("keyboard", []) for b in row]


def message_of(call: ApiCall) -> dict[str, Any]:
    """The message a sendMessage created (or an edit changed)."""
    result = call.result
    assert isinstance(result, dict), call
    return result


async def press(
    telegram: FakeTelegramServer,
    user: FakeUser,
    call: ApiCall,
    text: str,
    *,
    expect: str = "sendMessage",
    timeout: float = 5.0,
) -> ApiCall:
    """Press the inline button labelled ``text`` on the message of ``call``; the bot's next call."""
    mark = telegram.mark()
    telegram.press(user, message_of(call), text=text)
    return await telegram.wait_for(expect, chat_id=user.id, since=mark, timeout=timeout)


async def alert_for(telegram: FakeTelegramServer, mark: int) -> ApiCall:
    return await telegram.wait_for("answerCallbackQuery", since=mark)


async def next_message(telegram: FakeTelegramServer, user: FakeUser, mark: int) -> ApiCall:
    return await telegram.wait_for("sendMessage", chat_id=user.id, since=mark)


async def agree_and_give_name(
    telegram: FakeTelegramServer, user: FakeUser, name: str, *, start: str = "/start"
) -> ApiCall:
    """/start, agree to the notice, give a name; the bot's next message (it asks for the phone)."""
    notice = await say(telegram, user, start)
    zh = (user.language_code or "").startswith("zh")
    asked_name = await press(telegram, user, notice, "✅ 我同意" if zh else "✅ I agree")
    assert "姓名" in asked_name.params["text"] or "name" in asked_name.params["text"]
    return await say(telegram, user, name)


async def register(
    telegram: FakeTelegramServer, user: FakeUser, name: str, *, start: str = "/start"
) -> ApiCall:
    """/start, agree, name, own phone; returns what follows "you are registered" (a unit offer,
    or the deep-link code's result)."""
    await agree_and_give_name(telegram, user, name, start=start)
    mark = telegram.mark()
    telegram.send_contact(user, phone_number="8613912345678")
    registered = await next_message(telegram, user, mark)
    return await next_message(telegram, user, registered.seq + 1)


async def register_with_code(
    app: Application, telegram: FakeTelegramServer, user: FakeUser, name: str, unit: str = "101"
) -> str:
    """Registered through the link that carries a fresh code of 1号楼 ``unit`` (``/start
    <code>``), which binds them; returns the code."""
    code: str = (await issue_code(app))[unit]
    await register(telegram, user, name, start=f"/start {code}")
    return code


async def registered_in_unit(
    app: Application,
    telegram: FakeTelegramServer,
    user: FakeUser,
    name: str,
    unit: str = "101",
    building: str = "1",
) -> None:
    """Registered through the chat, then bound to a unit behind the bot's back."""
    await register(telegram, user, name)
    await bind_directly(app, user.id, unit, building=building)


async def start_filing(telegram: FakeTelegramServer, user: FakeUser, menu_button: str) -> ApiCall:
    """Press a main-menu button; the first question of the filing (after the intro)."""
    intro = await say(telegram, user, menu_button)
    return await next_message(telegram, user, intro.seq + 1)


async def filing_until_description(
    telegram: FakeTelegramServer, user: FakeUser, menu_button: str, category: str, place: str
) -> ApiCall:
    """Start filing, choose the category and the place; the bot's next question."""
    question = await start_filing(telegram, user, menu_button)
    chosen = await press(telegram, user, question, category)
    return await press(telegram, user, chosen, place)


async def file_leak_in_chat(telegram: FakeTelegramServer, user: FakeUser, words: str) -> ApiCall:
    """A zh resident bound to 1号楼 101 files a water leak through the menu, with no photos
    and not urgent; the bot's answer to ✅ 提交."""
    await filing_until_description(telegram, user, "🔧 报修", "漏水", "🏠 1号楼 101")
    no_photos = await say(telegram, user, words)
    urgent = await press(telegram, user, no_photos, "不发照片")
    summary = await press(telegram, user, urgent, "否")
    return await press(telegram, user, summary, "✅ 提交")


async def issue_code(app: Application, project: str = "sunshine", building: str = "1") -> dict:
    """A fresh code per unit of the building, as the CLI prints them: {unit key: code}."""
    assert app.sessionmaker is not None and app.organisation is not None
    async with app.sessionmaker() as session, session.begin():
        issued = await unit_codes.issue_codes(
            session,
            project,
            app.clock.now(),
            app.organisation.residents.unit_code_ttl,
            building_key=building,
        )
    return {code.unit: code.code for code in issued}


def unit_query(building: str, unit: str, project: str = "sunshine") -> Select[tuple[int]]:
    """The id of the unit ``unit`` of ``building`` in ``project`` (keys, as in the
    organisation file)."""
    return (
        select(PropertyUnit.id)
        .join(Building, Building.id == PropertyUnit.building_id)
        .join(OrgUnit, OrgUnit.id == Building.project_id)
        .where(OrgUnit.key == project, Building.key == building, PropertyUnit.key == unit)
    )


async def bind_in(
    session: AsyncSession,
    person_id: int,
    now: datetime,
    *,
    building: str,
    unit: str,
    project: str = "sunshine",
) -> None:
    """Bind the person to the unit (keys, as in the organisation file) as a unit code
    would have, in ``session``."""
    flat = await session.scalar(unit_query(building, unit, project))
    assert flat is not None, f"no unit {building}/{unit} in {project}"
    session.add(ResidentUnit(person_id=person_id, property_unit_id=flat, via="code", bound_at=now))


async def bind_directly(app: Application, telegram_id: int, unit_key: str, building: str) -> None:
    """Bind a resident to a unit behind the bot's back (to set up a scene quickly)."""
    assert app.sessionmaker is not None
    await settled(app)
    async with app.sessionmaker() as session, session.begin():
        person = await session.scalar(select(Person).where(Person.telegram_id == telegram_id))
        assert person is not None
        await bind_in(session, person.id, app.clock.now(), building=building, unit=unit_key)


async def settled(app: Application) -> None:
    """Wait until every update received so far is handled and committed.

    The bot answers just before its transaction commits, so a test reading the
    database right after an answer must wait for this first.
    """
    assert app.sessionmaker is not None

    async def nothing_pending() -> bool:
        async with app.sessionmaker() as session:  # type: ignore[misc]
            pending = await session.scalar(
                select(func.count()).where(InboundUpdate.status == InboundStatus.PENDING)
            )
            return not pending

    await eventually(nothing_pending)


async def delivered(app: Application) -> None:
    """Wait until the outbox has sent everything queued so far for residents (private chats)."""
    assert app.sessionmaker is not None

    async def outbox_empty() -> bool:
        async with app.sessionmaker() as session:  # type: ignore[misc]
            pending = await session.scalar(
                select(func.count()).where(
                    OutboxMessage.status == OutboxStatus.PENDING, OutboxMessage.chat_id > 0
                )
            )
            return not pending

    await eventually(outbox_empty)


async def tickets_in_db(app: Application) -> list[Ticket]:
    assert app.sessionmaker is not None
    await settled(app)
    async with app.sessionmaker() as session:
        return list((await session.scalars(select(Ticket).order_by(Ticket.id))).all())


def advance_clock(app: Application, **delta: float) -> None:
    app.clock.advance(timedelta(**delta))  # type: ignore[attr-defined]


async def ticket(app: Application, ticket_id: int) -> Ticket:
    assert app.sessionmaker is not None
    await settled(app)
    async with app.sessionmaker() as session:
        found = await session.get(Ticket, ticket_id)
        assert found is not None
        return found


async def bot_says(
    telegram: FakeTelegramServer, chat_id: int, fragment: str, *, since: int = 0
) -> ApiCall:
    """The bot's sendMessage call to the chat whose text contains ``fragment`` (waits for it)."""
    return await telegram.wait_for(
        "sendMessage",
        lambda call: fragment in call.params.get("text", ""),
        chat_id=chat_id,
        since=since,
    )
