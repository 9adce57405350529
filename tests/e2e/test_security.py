"""The security suite: an attacker's checklist, tried end to end through the fake Bot API.

Each attack is refused or handled with a clear message, nothing changes that should
not, and the audit log records it where it matters. (Feature tests cover the same
ground in more detail; this module is the one place that walks the whole list.)
"""

from __future__ import annotations

import pytest
from sqlalchemy import func, select, text

from bot.app.application import Application
from bot.services.tickets import lifecycle
from fake_telegram import FakeTelegramServer, FakeUser
from storage.models import AuditEntry, Person, StaffRole, Ticket, TicketStatus
from tests.e2e import residents
from tests.e2e import staff_helpers as desk
from tests.e2e.conftest import say

GROUP_ANONYMOUS_BOT = 1087968824


async def refusal_count(app: Application) -> int:
    await residents.settled(app)
    async with app.sessionmaker() as session:
        return await session.scalar(
            select(func.count()).select_from(AuditEntry).where(AuditEntry.outcome == "refused")
        )


async def test_forged_button_for_another_residents_ticket(
    app: Application, telegram: FakeTelegramServer, resident_en: FakeUser
) -> None:
    victim = await desk.file_ticket(app, telegram, resident_id=7001, description="victim's leak")
    await residents.register(telegram, resident_en, "Mallory")
    for action in ("open", "confirm", "reopen", "cancel", "comment"):
        mark = telegram.mark()
        telegram.press_raw(resident_en, resident_en.id, 1, f"rt:{action}:{victim.id}:1")
        answer = await telegram.wait_for("answerCallbackQuery", since=mark)
        assert answer.params.get("show_alert") is True, action
        # Only what Mallory was sent counts: the victim's own messages and the staff card
        # may still be on their way from the filing.
        sent = [
            c.params.get("text", "")
            for c in telegram.calls_of("sendMessage")
            if c.seq > mark and c.params.get("chat_id") == resident_en.id
        ]
        assert not any("victim's leak" in t or victim.number in t for t in sent), action
    after = await desk.reload(app, victim.id)
    assert (after.status, after.version) == (TicketStatus.NEW, 1)


async def test_staff_button_for_another_projects_ticket_and_a_replayed_stale_button(
    app: Application, telegram: FakeTelegramServer
) -> None:
    ticket = await desk.file_ticket(app, telegram)
    shown = await desk.card(telegram, desk.SUNSHINE_GROUP, ticket.number)
    await desk.add_staff(app, 5201, "孙丽", StaffRole.AGENT, "plaza")
    outsider = telegram.user(id=5201, first_name="孙丽")
    refused_before = await refusal_count(app)
    assert "只有该工单所属项目" in await desk.alert(
        telegram, desk.press(telegram, outsider, shown, "take")
    )
    assert await refusal_count(app) == refused_before + 1

    agent = desk.staff_user(telegram, desk.AGENT)
    await desk.as_actor(app, desk.AGENT, lambda s, c, a: lifecycle.take(s, c, ticket.id, a, None))
    # The old card's buttons carry version 1; the ticket has moved on.
    replay = desk.press(telegram, agent, shown, "reassign")
    assert await desk.alert(telegram, replay)
    after = await desk.reload(app, ticket.id)
    assert after.status is TicketStatus.ACKNOWLEDGED and after.version == 2
    assert await refusal_count(app) == refused_before + 2


@pytest.mark.parametrize(
    "command",
    [
        "/queue",
        "/mine",
        "/ticket SG-000001",
        "/stats",
        "/export",
        "/audit",
        "/invite agent",
        "/survey start",
        "/bindgroup",
    ],
)
async def test_a_resident_calling_staff_and_manager_commands(
    app: Application, telegram: FakeTelegramServer, resident_en: FakeUser, command: str
) -> None:
    ticket = await desk.file_ticket(app, telegram, description="somebody else's private text")
    reply = await say(telegram, resident_en, command)
    shown = reply.params.get("text", "") + reply.params.get("caption", "")
    assert ticket.number not in shown and "private text" not in shown
    assert not telegram.calls_of("sendDocument", chat_id=resident_en.id)
    assert not telegram.calls_of("sendPhoto", chat_id=resident_en.id)
    assert (await desk.reload(app, ticket.id)).version == 1


async def test_staff_of_one_project_opening_another_projects_ticket(
    app: Application, telegram: FakeTelegramServer
) -> None:
    ticket = await desk.file_ticket(app, telegram, description="sunshine only")
    await desk.add_staff(app, 5201, "孙丽", StaffRole.AGENT, "plaza")
    outsider = telegram.user(id=5201, first_name="孙丽", language_code="en")
    reply = await say(telegram, outsider, f"/ticket {ticket.number}")
    assert "sunshine only" not in reply.params["text"]


async def test_commands_from_an_anonymous_group_admin_are_refused(
    app: Application, telegram: FakeTelegramServer
) -> None:
    mark = telegram.mark()
    telegram.send_as_anonymous_admin(desk.SUNSHINE_GROUP, "/queue")
    reply = await telegram.wait_for("sendMessage", chat_id=desk.SUNSHINE_GROUP, since=mark)
    assert "匿名" in reply.params["text"] or "anonymous" in reply.params["text"].lower()
    assert not telegram.calls_of("leaveChat")  # a bound group is not left


async def test_the_bot_added_to_an_unknown_group_leaves(
    app: Application, telegram: FakeTelegramServer
) -> None:
    stranger = telegram.user(id=8600, first_name="Eve", language_code="en")
    telegram.bot_added_to_group(-1008888888, stranger, title="Eve's group")
    await telegram.wait_for("leaveChat", chat_id=-1008888888)


@pytest.mark.parametrize(
    ("payload", "expected"),
    [
        # Not shaped like a code: ignored (and not counted as a guess); registration goes on.
        ("!!!not-a-code!!!", "which unit"),
        ("A" * 64, "which unit"),
        # Shaped like a code but wrong: refused, and counted towards the rate limit.
        ("ZZZZ-ZZZZ-ZZZZ", "not valid"),
    ],
)
async def test_malformed_and_too_long_deep_link_codes(
    app: Application,
    telegram: FakeTelegramServer,
    resident_en: FakeUser,
    payload: str,
    expected: str,
) -> None:
    after_registration = await residents.register(
        telegram, resident_en, "Alice", start=f"/start {payload}"
    )
    assert expected in after_registration.params["text"]
    async with app.sessionmaker() as session:
        person = await session.scalar(select(Person).where(Person.telegram_id == resident_en.id))
        assert person is not None
        bound = await session.scalar(
            text(f"SELECT count(*) FROM resident_units WHERE person_id = {person.id}")
        )
    assert bound == 0


async def test_expired_reused_and_brute_forced_codes(
    app: Application, telegram: FakeTelegramServer, resident_en: FakeUser, resident_zh: FakeUser
) -> None:
    codes = await residents.issue_code(app)
    await residents.register(telegram, resident_en, "Alice")
    assert (await say(telegram, resident_en, codes["101"])).params["text"].startswith("✅")
    await residents.settled(app)
    async with app.sessionmaker() as session:
        bindings = await session.scalar(
            select(func.count()).select_from(AuditEntry).where(AuditEntry.action == "unit.bind")
        )
    assert bindings == 1  # the binding is on record
    await residents.register(telegram, resident_zh, "张小明")
    reused = await say(telegram, resident_zh, codes["101"])
    assert not reused.params["text"].startswith("✅")  # single use
    for n in range(5):
        await say(telegram, resident_zh, f"QQQQ-QQQQ-QQQ{n + 2}")
    blocked = await say(telegram, resident_zh, codes["102"])
    assert not blocked.params["text"].startswith("✅")  # rate limited even for a good code
    app.clock.advance(days=31)
    expired = await say(telegram, resident_zh, codes["201"])
    assert not expired.params["text"].startswith("✅")


HOSTILE = "'; DROP TABLE tickets; -- <script>alert(1)</script> & <b>bold</b> ‮evil‬ a\u200bb 🧨"


async def test_injection_looking_text_is_stored_and_shown_literally(
    app: Application, telegram: FakeTelegramServer, resident_en: FakeUser
) -> None:
    await residents.registered_in_unit(app, telegram, resident_en, HOSTILE[:60])
    ticket = await desk.file_ticket(app, telegram, resident_id=resident_en.id, description=HOSTILE)
    shown = await desk.card(telegram, desk.SUNSHINE_GROUP, ticket.number)
    assert (
        "&lt;script&gt;"
        in (await telegram.wait_for("sendMessage", chat_id=desk.SUNSHINE_GROUP)).params["text"]
    )
    assert "<script>" in (shown.text or "")  # Telegram renders the escaped text literally
    stored = await desk.reload(app, ticket.id)
    assert stored.description == HOSTILE  # byte for byte: RTL override, zero-width space, emoji
    assert len(await residents.tickets_in_db(app)) == 1  # and the table is still there
    async with app.sessionmaker() as session:
        person = await session.scalar(select(Person).where(Person.telegram_id == resident_en.id))
    assert person is not None and person.full_name == HOSTILE[:60]


async def test_oversized_text_is_refused_with_the_limit_named(
    app: Application, telegram: FakeTelegramServer, resident_en: FakeUser
) -> None:
    await residents.registered_in_unit(app, telegram, resident_en, "Alice")
    intro = await say(telegram, resident_en, "🔧 Report a repair")
    category = await telegram.wait_for("sendMessage", chat_id=resident_en.id, since=intro.seq + 1)
    from tests.e2e.residents import press as press_button

    place = await press_button(telegram, resident_en, category, "Water leak")
    await press_button(telegram, resident_en, place, "🏠 1号楼 101")
    refused = await say(telegram, resident_en, "漏" * 5000)
    assert "1000" in refused.params["text"]
    assert await residents.tickets_in_db(app) == []


async def test_a_flood_of_100_messages_in_a_second(
    app: Application, telegram: FakeTelegramServer, resident_en: FakeUser, resident_zh: FakeUser
) -> None:
    await residents.register(telegram, resident_en, "Mallory")
    mark = telegram.mark()
    for n in range(100):
        telegram.send_text(resident_en, f"flood {n}")
    neighbour = await say(telegram, resident_zh, "/help")
    assert neighbour.params["text"].startswith("我可以为您做这些")  # others are not held up
    await telegram.wait_updates_consumed()
    await residents.settled(app)
    to_flooder = [
        c for c in telegram.calls_of("sendMessage", chat_id=resident_en.id) if c.seq > mark
    ]
    assert 1 <= len(to_flooder) <= 12  # a polite notice, not a hundred answers
    assert any("faster than I can read" in c.params["text"] for c in to_flooder)
    async with app.sessionmaker() as session:
        assert await session.scalar(select(func.count()).select_from(Ticket)) == 0
