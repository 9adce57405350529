"""Control characters a resident types (a NUL byte in a name, in a ticket's text) are
cleaned where updates enter, so the same input works on SQLite and PostgreSQL, and
nothing of a failing statement's parameters reaches the logs."""

from __future__ import annotations

import logging

import pytest
from sqlalchemy import select

from bot.app.application import Application
from fake_telegram import FakeTelegramServer, FakeUser
from storage.models import InboundStatus, InboundUpdate, Person, Ticket
from tests.e2e import residents

NAME = "张\x00小明"
WORDS = "阳台排水管\x00漏水\x07很严重"


async def test_a_nul_byte_in_a_name_and_a_ticket_works_and_leaves_no_trace_in_the_logs(
    app: Application,
    telegram: FakeTelegramServer,
    resident_zh: FakeUser,
    debug_logs: pytest.LogCaptureFixture,
) -> None:
    await residents.register_with_code(app, telegram, resident_zh, NAME)
    filed = await residents.file_leak_in_chat(telegram, resident_zh, WORDS)
    assert "SG-000001" in filed.params["text"]
    await residents.settled(app)

    assert app.sessionmaker is not None
    async with app.sessionmaker() as session:
        person = await session.scalar(select(Person).where(Person.telegram_id == resident_zh.id))
        ticket = await session.scalar(select(Ticket))
        failed = await session.scalar(
            select(InboundUpdate).where(InboundUpdate.status == InboundStatus.FAILED)
        )
    assert person is not None and person.full_name == "张小明"
    assert ticket is not None and ticket.description == "阳台排水管漏水很严重"
    assert failed is None  # no update failed (and no apology was sent)

    logged = "\n".join(logging.Formatter("%(message)s").format(r) for r in debug_logs.records)
    for personal in ("张小明", "小明", "阳台排水管"):
        assert personal not in logged
