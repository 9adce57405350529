"""Stale and forged buttons in a resident's chat are refused as before, and now audited;
ordinary input mistakes are answered without an audit line."""

from __future__ import annotations

from sqlalchemy import select

from bot.app.application import Application
from fake_telegram import FakeTelegramServer, FakeUser
from storage.models import AuditEntry
from tests.e2e import residents
from tests.e2e.conftest import say


async def refusals(app: Application) -> list[tuple[str, str | None]]:
    await residents.settled(app)
    assert app.sessionmaker is not None
    async with app.sessionmaker() as session:
        rows = await session.scalars(
            select(AuditEntry).where(AuditEntry.outcome == "refused").order_by(AuditEntry.id)
        )
        return [(row.action, row.reason) for row in rows]


async def test_stale_and_forged_resident_buttons_are_audited(
    app: Application, telegram: FakeTelegramServer, resident_en: FakeUser
) -> None:
    old_question = await residents.abandoned_question(app, telegram, resident_en)
    mark = telegram.mark()
    telegram.press(resident_en, residents.message_of(old_question), text="Lift")
    await telegram.wait_for("answerCallbackQuery", since=mark)
    for forged in ("rf:1:submit:", "rl:x"):
        mark = telegram.mark()
        telegram.press_raw(resident_en, resident_en.id, 1, forged)
        answer = await telegram.wait_for("answerCallbackQuery", since=mark)
        assert answer.params["text"] == "This button is no longer valid."

    assert await refusals(app) == [
        ("button.rf", "stale_button"),
        ("button.rf", "stale_button"),
        ("button.rl", "stale_button"),
    ]


async def test_input_mistakes_are_answered_without_an_audit_line(
    app: Application, telegram: FakeTelegramServer, resident_en: FakeUser
) -> None:
    unregistered = await say(telegram, resident_en, "/tickets")
    assert unregistered.params["text"] == "Please register first: send /start."
    await residents.register(telegram, resident_en, "Alice")
    too_long = await say(telegram, resident_en, "leak " * 400)
    assert "at most 1000 characters" in too_long.params["text"]
    assert await refusals(app) == []
