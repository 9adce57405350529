"""Stale and forged buttons in a resident's chat are refused as before, and now audited;
ordinary input mistakes are answered without an audit line."""

from __future__ import annotations

from sqlalchemy import select

from bot.app.application import Application
from storage.models import AuditEntry
from tests.e2e import residents
from tests.e2e.chat import ResidentChat


async def refusals(app: Application) -> list[tuple[str, str | None]]:
    await residents.settled(app)
    assert app.sessionmaker is not None
    async with app.sessionmaker() as session:
        rows = await session.scalars(
            select(AuditEntry).where(AuditEntry.outcome == "refused").order_by(AuditEntry.id)
        )
        return [(row.action, row.reason) for row in rows]


async def test_stale_and_forged_resident_buttons_are_audited(alice: ResidentChat) -> None:
    old_question = await alice.abandoned_question()
    await alice.alert_on_press(old_question, "Lift")
    for forged in ("rf:1:submit:", "rl:x"):
        answer = await alice.alert_on_raw_press(forged)
        assert answer.params["text"] == "This button is no longer valid."

    assert await refusals(alice.app) == [
        ("button.rf", "stale_button"),
        ("button.rf", "stale_button"),
        ("button.rl", "stale_button"),
    ]


async def test_input_mistakes_are_answered_without_an_audit_line(alice: ResidentChat) -> None:
    unregistered = await alice.say("/tickets")
    assert unregistered.params["text"] == "Please register first: send /start."
    await alice.register()
    too_long = await alice.say("leak " * 400)
    assert "at most 1000 characters" in too_long.params["text"]
    assert await refusals(alice.app) == []
