"""A handler that fails does not lose the update: it is retried, and after the last
attempt the sender is told, in their language, that nothing was saved."""

from __future__ import annotations

from sqlalchemy import select

from bot.app.application import Application
from bot.clock import ManualClock
from fake_telegram import FakeTelegramServer, FakeUser
from fake_telegram.errors import chat_not_found
from storage import inbox
from storage.models import InboundStatus, InboundUpdate
from tests.conftest import eventually
from tests.e2e.conftest import AppFactory


async def inbox_row(app: Application) -> InboundUpdate | None:
    assert app.sessionmaker is not None
    async with app.sessionmaker() as session:
        return await session.scalar(select(InboundUpdate).order_by(InboundUpdate.update_id.desc()))


async def test_failed_update_is_retried_after_backoff(
    app: Application, telegram: FakeTelegramServer, resident_en: FakeUser, clock: ManualClock
) -> None:
    # The reply inside the handler fails: the whole update rolls back and waits to be retried.
    telegram.fail_next("sendMessage", chat_not_found())
    telegram.send_text(resident_en, "/help")
    row = await eventually(lambda: _attempted(app, 1))
    assert row.status is InboundStatus.PENDING and "chat not found" in row.last_error
    assert telegram.messages_in(resident_en.id) == []

    clock.advance(seconds=3)  # past the first back-off
    app.worker.wake()
    reply = await telegram.wait_for(
        "sendMessage", lambda c: c.fault is None, chat_id=resident_en.id
    )
    assert reply.params["text"].startswith("What I can do:")
    await eventually(lambda: _status(app, InboundStatus.DONE))


async def test_later_updates_of_the_same_chat_wait_for_the_failed_one(
    app: Application, telegram: FakeTelegramServer, resident_en: FakeUser, clock: ManualClock
) -> None:
    telegram.fail_next("sendMessage", chat_not_found())
    telegram.send_text(resident_en, "/help")
    await eventually(lambda: _attempted(app, 1))
    telegram.send_text(resident_en, "/start")
    await telegram.wait_updates_consumed()
    clock.advance(seconds=3)
    app.worker.wake()
    replies = await telegram.wait_for(
        "sendMessage", lambda c: c.fault is None, chat_id=resident_en.id, count=2
    )
    assert replies[0].params["text"].startswith("What I can do:")  # order kept
    assert replies[1].params["text"].startswith("Hello!")


async def test_an_update_that_keeps_failing_is_parked_and_the_sender_told(
    start_app: AppFactory, telegram: FakeTelegramServer, resident_zh: FakeUser, clock: ManualClock
) -> None:
    app = await start_app(update_max_attempts=2)
    telegram.fail_next("sendMessage", chat_not_found(), times=2)
    telegram.send_text(resident_zh, "/help")
    await eventually(lambda: _attempted(app, 1))
    clock.advance(seconds=3)
    app.worker.wake()
    await eventually(lambda: _status(app, InboundStatus.FAILED))
    app.sender.wake()
    apology = await telegram.wait_for(
        "sendMessage", lambda c: c.fault is None, chat_id=resident_zh.id
    )
    assert apology.params["text"].startswith("抱歉,处理您上一条消息时出现问题")


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
