"""What a handler sends goes out after its transaction commits, once.

A reply never announces what a failed commit did not store; a send that fails after
the commit is the outbox's to retry (the update is not handled again); what Telegram
answered is written down even when the database is away for a moment, so nothing is
sent twice. (The process killed between the commit and the send: test_crash_recovery.)
"""

from __future__ import annotations

import json
import sqlite3

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import OperationalError

from bot.app.application import Application
from bot.clock import ManualClock
from fake_telegram import FakeTelegramServer, FakeUser
from fake_telegram.errors import ApiError, forbidden, too_many_requests
from storage import inbox, outbox_queue
from storage.models import (
    InboundStatus,
    InboundUpdate,
    OutboxMessage,
    OutboxStatus,
    Person,
    Ticket,
)
from tests.conftest import eventually
from tests.db import ON_POSTGRES
from tests.e2e import at_rest, residents
from tests.e2e.chat import ResidentChat
from tests.e2e.test_update_failures import failing_commits

NO_PHOTOS = "No photos"
PHONE = "8613912345678"  # the number residents.register shares


async def _summary(alice: ResidentChat):
    """A complaint about the common area, filled in up to its summary."""
    await alice.registered_in_unit()
    question = await alice.start_filing("📣 Make a complaint")
    place = await alice.press(question, "Noise")
    await alice.press(place, "🌳 阳光花园: common area or general")  # "Where exactly?"
    await alice.say("the square by building 2")
    photos = await alice.say("Loud music every night after 11pm")
    return await alice.press(photos, NO_PHOTOS)


async def _handled_rows(app: Application) -> list[InboundUpdate]:
    async with app.sessionmaker() as session:
        return list((await session.scalars(select(InboundUpdate))).all())


async def test_no_reply_for_a_commit_that_fails_and_the_ticket_is_filed_once(
    alice: ResidentChat, clock: ManualClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    summary = await _summary(alice)
    telegram, app = alice.telegram, alice.app
    mark = alice.mark()
    with failing_commits(monkeypatch) as failures:
        telegram.press(alice.user, residents.message_of(summary), text="✅ Submit")
        await eventually(lambda: failures)
        # The commit failed: nothing was said about it, nothing was filed.
        await eventually(lambda: _attempts(app, 1))
        assert [
            c for c in telegram.calls_of("sendMessage", chat_id=alice.id) if c.seq >= mark
        ] == []
        assert [c for c in telegram.calls_of("answerCallbackQuery") if c.seq >= mark] == []
        async with app.sessionmaker() as session:
            assert await session.scalar(select(func.count()).select_from(Ticket)) == 0
    clock.advance(seconds=3)  # past the back-off: the press is handled again, and commits
    app.worker.wake()
    filed = await alice.next_message(mark)
    assert "SG-000001" in filed.params["text"]
    await residents.settled(app)
    [ticket] = await alice.tickets()
    assert ticket.number == "SG-000001"
    marker = await alice.say("ℹ️ Help")  # everything before it is out
    announced = [
        c
        for c in telegram.calls_of("sendMessage", chat_id=alice.id)
        if mark <= c.seq < marker.seq and "SG-0000" in c.params["text"]
    ]
    assert len(announced) == 1


async def _attempts(app: Application, attempts: int) -> bool:
    async with app.sessionmaker() as session:
        row = await session.scalar(select(InboundUpdate).order_by(InboundUpdate.update_id.desc()))
        return row is not None and row.attempts == attempts


@pytest.mark.parametrize(
    "error",
    [ApiError(502, "Bad Gateway"), too_many_requests(5)],
    ids=["server error", "flood wait"],
)
async def test_a_reply_refused_after_the_commit_goes_through_the_outbox_not_the_handler(
    app: Application,
    telegram: FakeTelegramServer,
    resident_en: FakeUser,
    clock: ManualClock,
    error: ApiError,
) -> None:
    telegram.fail_next("sendMessage", error, chat_id=resident_en.id)
    telegram.send_text(resident_en, "/help")
    queued = await eventually(lambda: _queued_for(app, resident_en.id))
    assert queued.method == "sendMessage"  # the outbox has it (it may have sent it already)
    [row] = await _handled_rows(app)
    assert row.status is InboundStatus.DONE and row.attempts == 0  # not handled again
    clock.advance(seconds=10)  # the outbox's back-off, or Telegram's retry_after
    app.sender.wake()
    reply = await telegram.wait_for(
        "sendMessage", lambda c: c.fault is None, chat_id=resident_en.id
    )
    assert reply.params["text"].startswith("What I can do:")
    await residents.delivered(app)
    sent = [c for c in telegram.calls_of("sendMessage", chat_id=resident_en.id) if c.fault is None]
    assert len(sent) == 1


async def test_a_blocked_recipient_found_after_the_commit_is_marked_unreachable(
    app: Application, telegram: FakeTelegramServer, alice: ResidentChat
) -> None:
    await alice.registered_in_unit()
    telegram.fail_next("sendMessage", forbidden("bot was blocked by the user"), chat_id=alice.id)
    telegram.send_text(alice.user, "ℹ️ Help")

    async def unreachable() -> bool:
        async with app.sessionmaker() as session:
            person = await session.scalar(select(Person).where(Person.telegram_id == alice.id))
            return person is not None and not person.reachable

    await eventually(unreachable)
    rows = await _handled_rows(app)
    assert all(r.attempts == 0 for r in rows)
    held = await _queued_for(app, alice.id)
    assert held is not None and held.status is OutboxStatus.INACTIVE  # sent when they are back


async def _queued_for(app: Application, chat_id: int) -> OutboxMessage | None:
    async with app.sessionmaker() as session:
        return await session.scalar(select(OutboxMessage).where(OutboxMessage.chat_id == chat_id))


async def test_the_database_away_after_the_send_loses_nothing_and_sends_nothing_twice(
    xiaoming: ResidentChat, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Between the send and writing down its message id, the database goes away: the
    acknowledgement of an album is sent once, and its id still reaches the conversation,
    so the album's later photos edit it."""
    await xiaoming.registered_in_unit()
    category = await xiaoming.start_filing("🔧 报修")
    place = await xiaoming.press(category, "漏水")
    await xiaoming.press(place, "🏠 1号楼 101")
    await xiaoming.say("厨房水管漏水")
    original = inbox.replies_sent
    failed: list[list[int]] = []

    async def database_away_once(session, update_ids):  # type: ignore[no-untyped-def]
        if not failed:
            failed.append(update_ids)
            raise OperationalError("UPDATE", {}, sqlite3.OperationalError("disk I/O error"))
        await original(session, update_ids)

    monkeypatch.setattr(inbox, "replies_sent", database_away_once)
    telegram = xiaoming.telegram
    mark = xiaoming.mark()
    ack = await xiaoming.send_album(3)
    edits = await telegram.wait_for("editMessageText", chat_id=xiaoming.id, since=mark, count=2)
    assert failed
    assert edits[-1].params["message_id"] == ack.result["message_id"]
    assert edits[-1].params["text"] == "已添加照片：3/5。可继续发送，或点击“完成”。"
    await residents.settled(xiaoming.app)
    sent = [c for c in telegram.calls_of("sendMessage", chat_id=xiaoming.id) if c.seq >= mark]
    assert len(sent) == 1  # one acknowledgement for the album, sent once

    async def all_done() -> tuple[int, int] | None:
        async with xiaoming.app.sessionmaker() as session:
            attempts = await session.scalar(select(func.max(InboundUpdate.attempts)))
            replying = await session.scalar(
                select(func.count()).where(InboundUpdate.status == InboundStatus.REPLYING)
            )
        return (attempts, replying) if not replying else None

    # No update handled twice, none left owing replies.
    assert await eventually(all_done) == (0, 0)


async def test_a_clock_jump_while_a_reply_is_on_its_way_does_not_send_it_twice(
    alice: ResidentChat, clock: ManualClock
) -> None:
    """The worker looks for replies a dead process owed when their lease has run out; a
    reply this very worker is still sending is not one of them, even when the clock has
    jumped past its lease meanwhile (the SLA tests move it by hours)."""
    telegram, app = alice.telegram, alice.app
    await alice.registered_in_unit()
    telegram.response_delay = 0.5  # Telegram is slow to answer the reply
    mark = alice.mark()
    telegram.send_text(alice.user, "/help")
    await telegram.wait_for("sendMessage", since=mark)  # on its way, not answered yet
    clock.advance(hours=1)
    bob = telegram.user(id=7301, first_name="Bob")
    telegram.send_text(bob, "/start")  # a claim, and the look for owed replies
    await telegram.wait_for("sendMessage", since=mark, chat_id=bob.id)
    telegram.response_delay = 0
    await residents.settled(app)
    helps = [
        c
        for c in telegram.calls_of("sendMessage")
        if c.seq > mark and c.params.get("chat_id") == alice.id
    ]
    assert len(helps) == 1

    async def all_done() -> bool:
        return {row.status for row in await _handled_rows(app)} == {InboundStatus.DONE}

    await eventually(all_done)  # the "sent" marks are written together, a moment later


async def test_a_profile_reply_refused_and_sent_from_the_outbox_leaves_no_phone_in_clear(
    app: Application,
    telegram: FakeTelegramServer,
    alice: ResidentChat,
    clock: ManualClock,
    database_url: str,
) -> None:
    """/profile shows the resident their phone number; Telegram refuses the reply (5xx)
    after the commit, so it waits in the outbox: sealed (encrypted) there, and nothing of
    it kept once sent. The inbox row's calls were cleared when they were handed over."""
    await alice.register()  # shares +8613912345678
    await residents.settled(app)
    # Refused after the commit, and once more by the outbox, which then waits.
    telegram.fail_next("sendMessage", ApiError(502, "Bad Gateway"), times=2, chat_id=alice.id)
    mark = alice.mark()
    telegram.send_text(alice.user, "/profile")

    async def waiting() -> OutboxMessage | None:
        row = await _queued_for(app, alice.id)
        return row if row is not None and row.attempts == 1 else None

    queued = await eventually(waiting)
    assert queued.status is OutboxStatus.PENDING and outbox_queue.is_sealed(queued.payload)
    assert PHONE not in json.dumps(queued.payload)
    assert PHONE in outbox_queue.opened(queued.payload)["text"]  # what will be sent

    clock.advance(seconds=10)  # past the outbox's back-off
    app.sender.wake()
    profile = await telegram.wait_for(
        "sendMessage", lambda c: c.fault is None, chat_id=alice.id, since=mark
    )
    assert f"+{PHONE}" in profile.params["text"]
    await residents.delivered(app)
    async with app.sessionmaker() as session:
        sent = await session.get(OutboxMessage, queued.id)
        assert sent is not None and sent.status is OutboxStatus.SENT and sent.payload == {}
        stored = (await session.scalars(select(InboundUpdate.payload))).all()
    assert PHONE not in json.dumps(stored)

    await app.stop()  # at rest (SQLite checkpoints its WAL into the file)
    if ON_POSTGRES:
        assert await at_rest.found_in_postgres(database_url, {PHONE}) == []
    else:
        assert at_rest.found_in_files(at_rest.sqlite_files(database_url), {PHONE}) == []
