"""An update whose transaction fails does not lose the update: it is retried, and after
the last attempt the sender is told, in their language, that nothing was saved. Nothing
the handler answered is sent for an attempt that did not commit.

The failure is injected at the commit of the update's transaction
(:func:`failing_commits`): what the handler did, and what it answered, must both be
lost with it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

import asyncpg
import pytest
from sqlalchemy import event, select
from sqlalchemy.exc import DBAPIError

from bot.app.application import Application
from bot.clock import ManualClock
from fake_telegram import FakeTelegramServer, FakeUser
from storage import inbox
from storage.models import InboundStatus, InboundUpdate
from tests.conftest import eventually
from tests.e2e.conftest import AppFactory


async def inbox_row(app: Application) -> InboundUpdate | None:
    assert app.sessionmaker is not None
    async with app.sessionmaker() as session:
        return await session.scalar(select(InboundUpdate).order_by(InboundUpdate.update_id.desc()))


class CommitRefused(RuntimeError):
    pass


@contextmanager
def failing_commits(
    monkeypatch: pytest.MonkeyPatch,
    times: int = 1,
    error: Callable[[], Exception] = lambda: CommitRefused("the commit failed"),
) -> Iterator[list[int]]:
    """The next ``times`` commits of an update's transaction fail with ``error`` (after the
    handler ran and the update was marked done, at the COMMIT itself); yields the
    failures so far."""
    failures: list[int] = []
    original = inbox.mark_done

    async def mark_done(session, update_id, *args, **kwargs):  # type: ignore[no-untyped-def]
        done = await original(session, update_id, *args, **kwargs)
        if len(failures) < times:

            def refuse(_session: object) -> None:
                failures.append(update_id)
                raise error()

            event.listen(session.sync_session, "before_commit", refuse, once=True)
        return done

    monkeypatch.setattr(inbox, "mark_done", mark_done)
    yield failures


def retry_after_backoff(app: Application, clock: ManualClock) -> None:
    """Time past the first back-off (3 s), and the worker woken to try the update again."""
    clock.advance(seconds=3)
    app.worker.wake()


async def test_failed_update_is_retried_after_backoff(
    app: Application,
    telegram: FakeTelegramServer,
    resident_en: FakeUser,
    clock: ManualClock,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The update's commit fails: all of it rolls back, its answer is never sent, and it
    # waits to be retried.
    row = await _help_failed_once(app, telegram, resident_en, monkeypatch)
    assert row.status is InboundStatus.PENDING and "the commit failed" in row.last_error
    assert telegram.messages_in(resident_en.id) == []
    assert telegram.calls_of("sendMessage", chat_id=resident_en.id) == []

    retry_after_backoff(app, clock)
    reply = await telegram.wait_for(
        "sendMessage", lambda c: c.fault is None, chat_id=resident_en.id
    )
    assert reply.params["text"].startswith("What I can do:")
    await eventually(lambda: _status(app, InboundStatus.DONE))


def deadlock() -> DBAPIError:
    """What SQLAlchemy raises when PostgreSQL aborts a transaction to end a deadlock."""
    return DBAPIError.instance(
        "COMMIT", None, asyncpg.exceptions.DeadlockDetectedError("deadlock detected"), Exception
    )


async def test_an_update_that_lost_a_race_is_tried_again_at_once(
    app: Application,
    telegram: FakeTelegramServer,
    resident_en: FakeUser,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Its transaction was aborted for another's sake: no back-off (the clock does not
    move here), a warning rather than an error, and one answer."""
    with failing_commits(monkeypatch, error=deadlock) as failures:
        telegram.send_text(resident_en, "/help")
        reply = await telegram.wait_for(
            "sendMessage", lambda c: c.fault is None, chat_id=resident_en.id
        )
    assert len(failures) == 1
    assert reply.params["text"].startswith("What I can do:")
    await eventually(lambda: _status(app, InboundStatus.DONE))
    row = await inbox_row(app)
    assert row is not None and row.attempts == 1  # still counted
    assert len(telegram.calls_of("sendMessage", chat_id=resident_en.id)) == 1
    lost = [r for r in caplog.records if "lost a race" in r.getMessage()]
    assert [r.levelname for r in lost] == ["WARNING"] and not lost[0].exc_info
    assert not [r for r in caplog.records if r.getMessage().endswith(" failed")]


async def test_later_updates_of_the_same_chat_wait_for_the_failed_one(
    app: Application,
    telegram: FakeTelegramServer,
    resident_en: FakeUser,
    clock: ManualClock,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    await _help_failed_once(app, telegram, resident_en, monkeypatch)
    telegram.send_text(resident_en, "/start")
    await telegram.wait_updates_consumed()
    retry_after_backoff(app, clock)
    replies = await telegram.wait_for(
        "sendMessage", lambda c: c.fault is None, chat_id=resident_en.id, count=2
    )
    assert replies[0].params["text"].startswith("What I can do:")  # order kept
    assert replies[1].params["text"].startswith("Hello!")


async def test_an_update_that_keeps_failing_is_parked_and_the_sender_told(
    start_app: AppFactory,
    telegram: FakeTelegramServer,
    resident_zh: FakeUser,
    clock: ManualClock,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    app = await start_app(update_max_attempts=2)
    with failing_commits(monkeypatch, times=2):
        telegram.send_text(resident_zh, "/help")
        await eventually(lambda: _attempted(app, 1))
        retry_after_backoff(app, clock)
        await eventually(lambda: _status(app, InboundStatus.FAILED))
    app.sender.wake()
    apology = await telegram.wait_for(
        "sendMessage", lambda c: c.fault is None, chat_id=resident_zh.id
    )
    assert apology.params["text"].startswith("抱歉，处理您上一条消息时出现问题")


async def _help_failed_once(
    app: Application, telegram: FakeTelegramServer, user: FakeUser, monkeypatch: pytest.MonkeyPatch
) -> InboundUpdate:
    """/help, whose update's commit fails once; its inbox row after that attempt."""
    with failing_commits(monkeypatch):
        telegram.send_text(user, "/help")
        return await eventually(lambda: _attempted(app, 1))


async def _attempted(app: Application, attempts: int) -> InboundUpdate | None:
    row = await inbox_row(app)
    return row if row is not None and row.attempts == attempts else None


async def _status(app: Application, status: InboundStatus) -> bool:
    row = await inbox_row(app)
    return row is not None and row.status is status


async def test_a_redelivered_update_is_handled_once(
    app: Application, telegram: FakeTelegramServer, resident_en: FakeUser, clock: ManualClock
) -> None:
    update = telegram.send_text(resident_en, "/help")
    await telegram.wait_for("sendMessage", chat_id=resident_en.id)
    await eventually(lambda: _status(app, InboundStatus.DONE))
    # Telegram re-sends an update whose confirmation it missed: the poller stores the batch again.
    assert app.sessionmaker is not None
    async with app.sessionmaker() as session, session.begin():
        assert await inbox.store_updates(session, [update], clock.now()) == 0
    app.worker.wake()
    telegram.send_text(resident_en, "/start")  # a marker: once answered, the duplicate was seen
    await telegram.wait_for("sendMessage", chat_id=resident_en.id, count=2)
    texts = [c.params["text"] for c in telegram.calls_of("sendMessage", chat_id=resident_en.id)]
    assert (
        len(texts) == 2 and texts[0].startswith("What I can do:") and texts[1].startswith("Hello")
    )
