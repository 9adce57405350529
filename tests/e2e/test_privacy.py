"""Residents' data rights end to end: /privacy, /mydata, /forgetme, re-consent, retention,
/audit."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import func, select, text

from bot.app.application import Application
from bot.services.privacy.erasure import ERASED_TEXT
from bot.services.tickets import lifecycle
from fake_telegram import FakeTelegramServer, FakeUser
from storage.models import (
    Attachment,
    AuditEntry,
    Person,
    SurveyResponse,
    Ticket,
    TicketEvent,
    TicketStatus,
)
from storage.models.residents import ResidentUnit
from tests.conftest import eventually
from tests.e2e.chat import ResidentChat
from tests.e2e.conftest import AppFactory, org_file_with, say
from tests.e2e.residents import settled
from tests.e2e.staff_helpers import as_actor, file_ticket, seed_refusals

SUNSHINE_GROUP = -1009000000100


@pytest.fixture
def alice(alice: ResidentChat) -> ResidentChat:
    """Alice gives her full name here: her data export shows it back."""
    alice.name = "Alice Smith"
    return alice


async def resident_with_ticket(resident: ResidentChat, description: str) -> Ticket:
    """A resident bound to a unit who has filed one ticket."""
    await resident.registered_in_unit()
    return await file_ticket(
        resident.app,
        resident.telegram,
        resident_id=resident.id,
        name=resident.name,
        description=description,
    )


async def test_privacy_shows_the_notice_and_what_is_held(alice: ResidentChat) -> None:
    before = await alice.say("/privacy")
    assert "Privacy notice" in before.params["text"]
    assert "We hold no personal data about you." in before.params["text"]
    await alice.registered_in_unit()
    after = await alice.say("/privacy")
    assert "1 unit, 0 tickets, 0 survey answers." in after.params["text"]  # plurals
    assert "notice version 1" in after.params["text"]


async def test_mydata_sends_only_the_residents_own_data(alice: ResidentChat) -> None:
    mine = await resident_with_ticket(alice, "Leak under my sink")
    app, telegram = alice.app, alice.telegram
    await file_ticket(
        app,
        telegram,
        resident_id=7555,
        name="Other Person",
        description="Neighbour's secret problem",
    )
    await as_actor(app, 5001, lambda s, c, a: lifecycle.add_note(s, c, mine.id, a, "internal only"))
    mark = alice.mark()
    telegram.send_text(alice.user, "/mydata")
    sent = await telegram.wait_for("sendDocument", chat_id=alice.id, since=mark)
    document = json.loads(sent.upload("document").data.decode("utf-8"))
    assert document["profile"]["name"] == "Alice Smith"
    assert document["profile"]["phone"] == "+8613912345678"
    assert [c["notice_version"] for c in document["consents"]] == ["1"]
    assert [u["unit"] for u in document["units"]] == ["阳光花园 1号楼 101"]
    assert [t["number"] for t in document["tickets"]] == [mine.number]
    assert document["tickets"][0]["description"] == "Leak under my sink"
    dumped = json.dumps(document, ensure_ascii=False)
    assert "Neighbour's secret problem" not in dumped and "internal only" not in dumped
    assert "1 ticket with its history" in sent.params["caption"]
    await settled(app)
    async with app.sessionmaker() as session:
        exports = await session.scalar(
            select(func.count()).where(AuditEntry.action == "personal_data.export")
        )
    assert exports == 1


async def test_forgetme_erases_the_person_everywhere_and_keeps_statistics(
    xiaoming: ResidentChat,
) -> None:
    ticket = await resident_with_ticket(xiaoming, "我家厨房水管裂了，电话13912345678")
    app, telegram = xiaoming.app, xiaoming.telegram
    # Another, which they cancelled with words that name them.
    other = await file_ticket(
        app, telegram, resident_id=xiaoming.id, name=xiaoming.name, description="门锁坏了"
    )
    await as_actor(
        app,
        xiaoming.id,
        lambda s, c, a: lifecycle.cancel_by_resident(s, c, other.id, a, "搬家了，找张小明"),
    )
    async with app.sessionmaker() as session, session.begin():
        session.add(
            Attachment(
                ticket_id=ticket.id,
                author_id=ticket.resident_id,
                file_id="photo-of-my-kitchen",
                created_at=app.clock.now(),
            )
        )
        # A survey answered with words that name the resident, and a score.
        for question_key, score, words in (
            ("comment", None, "师傅很好，我住101"),
            ("rating", 5, None),
        ):
            session.add(
                SurveyResponse(
                    person_id=ticket.resident_id,
                    ticket_id=ticket.id,
                    question_key=question_key,
                    score=score,
                    text=words,
                    answered_at=app.clock.now(),
                )
            )
    question = await xiaoming.say("/forgetme")
    assert "无法撤销" in question.params["text"]
    goodbye = await xiaoming.press(question, "是的，全部删除")
    assert "已删除" in goodbye.params["text"]
    await settled(app)

    async with app.sessionmaker() as session:
        person = await session.scalar(select(Person).where(Person.id == ticket.resident_id))
        assert person is not None and person.erased_at is not None
        assert (person.telegram_id, person.full_name, person.phone) == (None, None, None)
        assert await session.scalar(select(func.count()).select_from(ResidentUnit)) == 0
        stored = await session.get(Ticket, ticket.id)
        assert stored is not None and stored.status is TicketStatus.NEW  # the record stays
        assert "厨房" not in stored.description and "139" not in stored.description
        bodies = (await session.scalars(select(TicketEvent.body))).all()
        assert not any(b and "厨房" in b for b in bodies)
        assert await session.scalar(select(func.count()).select_from(Attachment)) == 0
        answers = (await session.scalars(select(SurveyResponse))).all()
        assert sorted((a.question_key, a.score, a.text) for a in answers) == [
            ("comment", None, None),
            ("rating", 5, None),
        ]  # the score counts, the words are gone
        # Nothing personal is left anywhere in the database.
        for table in (
            "people",
            "tickets",
            "ticket_events",
            "survey_responses",
            "outbox",
            "inbound_updates",
            "fsm_states",
            "audit_log",
        ):
            rows = (await session.execute(text(f"SELECT * FROM {table}"))).all()
            for row in rows:
                dump = " ".join(_plain(value) for value in row)
                for secret in ("张小明", "13912345678", "厨房", "我住101"):
                    assert secret not in dump, (table, secret, dump)
    told = await eventually(
        lambda: [
            m.text
            for m in telegram.messages_in(SUNSHINE_GROUP)
            if m.text and "已退出服务" in m.text
        ]
    )
    assert ticket.number in told[0] and "张" not in told[0]  # staff learn that, not who

    again = await xiaoming.say("/privacy")
    assert "我们没有保存您的任何个人数据" in again.params["text"]


def _plain(value: object) -> str:
    """A column value as readable text (SQLite hands JSON back as escaped text)."""
    if isinstance(value, str) and value[:1] in "[{":
        try:
            return json.dumps(json.loads(value), ensure_ascii=False)
        except ValueError:
            return value
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


async def test_a_new_notice_version_asks_for_consent_again(
    start_app: AppFactory,
    telegram: FakeTelegramServer,
    resident_en: FakeUser,
    org_file: Path,
    tmp_path: Path,
) -> None:
    alice = ResidentChat(await start_app(), telegram, resident_en, name="Alice Smith")
    await alice.registered_in_unit()
    assert "notice version 1" in (await alice.say("/privacy")).params["text"]
    await alice.app.stop()
    changed = org_file_with(org_file, tmp_path, 'privacy_notice_version = "2"')
    alice.app = await start_app(bot_config=changed)
    asked = await alice.say("/start")
    assert "version 2" in asked.params["text"] and "I agree" in str(asked.params["reply_markup"])


async def test_retention_erases_inactive_residents_and_strips_old_tickets(
    alice: ResidentChat,
) -> None:
    from scheduler.jobs import apply_data_retention

    ticket = await resident_with_ticket(alice, "Broken window in my bedroom")
    app = alice.app
    await as_actor(app, 5001, lambda s, c, a: lifecycle.take(s, c, ticket.id, a, None))
    await as_actor(app, 5001, lambda s, c, a: lifecycle.resolve(s, c, ticket.id, a, "fixed"))
    await as_actor(app, alice.id, lambda s, c, a: lifecycle.confirm_fixed(s, c, ticket.id, a, None))
    dropped = await file_ticket(
        app, alice.telegram, resident_id=alice.id, name=alice.name, description="Door lock"
    )
    moving = "Moving out, call me on 13912345678"
    await as_actor(
        app, alice.id, lambda s, c, a: lifecycle.cancel_by_resident(s, c, dropped.id, a, moving)
    )

    app.clock.advance(days=400)  # past the 365 days closed tickets keep their text
    report = await apply_data_retention(app)
    assert (report.people_erased, report.tickets_stripped) == (0, 2)
    async with app.sessionmaker() as session:
        stored = await session.get(Ticket, ticket.id)
        assert stored is not None and "window" not in stored.description
        cancelled = await session.get(Ticket, dropped.id)
        assert cancelled is not None and cancelled.cancel_reason == ERASED_TEXT
        person = await session.scalar(select(Person).where(Person.telegram_id == alice.id))
        assert person is not None and person.full_name == "Alice Smith"  # active recently enough

    app.clock.advance(days=400)  # now inactive for 800 days > 730
    report = await apply_data_retention(app)
    assert report.people_erased == 1
    async with app.sessionmaker() as session:
        assert await session.scalar(select(Person).where(Person.telegram_id == alice.id)) is None
    assert (await apply_data_retention(app)).people_erased == 0  # once


async def test_audit_is_for_managers_within_their_scope(
    app: Application, telegram: FakeTelegramServer, alice: ResidentChat
) -> None:
    await seed_refusals(
        app,
        [("sunshine", "ticket.take"), ("plaza", "ticket.resolve")],
        actor_telegram_id=1,
        reason="test",
    )
    refused = await alice.say("/audit")
    assert refused.params["text"] == "Only managers and administrators can read the audit log."
    agent = telegram.user(id=5001, first_name="王芳", language_code="en")
    assert "Only managers" in (await say(telegram, agent, "/audit")).params["text"]

    project_manager = telegram.user(id=5002, first_name="李强", language_code="en")
    mine = (await say(telegram, project_manager, "/audit 30 ticket refused")).params["text"]
    assert "ticket.take" in mine and "ticket.resolve" not in mine  # plaza is not theirs
    hq_admin = telegram.user(id=5100, first_name="赵敏", language_code="en")
    everything = (await say(telegram, hq_admin, "/audit 30 ticket")).params["text"]
    assert "ticket.take" in everything and "ticket.resolve" in everything
    usage = (await say(telegram, hq_admin, "/audit ; DROP TABLE")).params["text"]
    assert usage.startswith("Usage: /audit")


async def test_audit_names_staff_and_tickets_but_not_residents(
    app: Application, telegram: FakeTelegramServer, alice: ResidentChat
) -> None:
    ticket = await resident_with_ticket(alice, "Broken window in my bedroom")
    async with app.sessionmaker() as session, session.begin():
        people = {
            p.telegram_id: p.id
            for p in (
                await session.scalars(
                    select(Person).where(Person.telegram_id.in_([5001, alice.id]))
                )
            ).all()
        }
        for who in (5001, alice.id):
            session.add(
                AuditEntry(
                    at=app.clock.now(),
                    actor_telegram_id=who,
                    actor_person_id=people[who],
                    action="ticket.take",
                    outcome="refused",
                    reason="test",
                    org_unit_id=ticket.project_id,
                    ticket_id=ticket.id,
                )
            )
    manager = telegram.user(id=5002, first_name="李强", language_code="en")
    lines = (await say(telegram, manager, "/audit ticket")).params["text"].splitlines()
    assert lines[1].endswith(f"ticket.take {ticket.number} by {alice.id} — test")
    assert lines[2].endswith(f"ticket.take {ticket.number} by 王芳 (5001) — test")
    assert "Alice" not in "\n".join(lines)  # a resident is not named in the log
