"""After a resident shares their phone number and types a unit code, neither is left in
clear in the database (the SQLite file's bytes; the inbox table on PostgreSQL) nor in
the logs: handled raw updates keep only their ids, and deleted bytes are zeroed."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.engine import make_url

from fake_telegram import FakeTelegramServer, FakeUser
from storage.models import InboundUpdate, Person, ResidentUnit
from tests.db import ON_POSTGRES
from tests.e2e import residents
from tests.e2e.conftest import AppFactory, say

PHONE_DIGITS = "13912345678"  # the contact is shared as 8613912345678


def sqlite_files(database_url: str) -> list[Path]:
    database = Path(make_url(database_url).database or "")
    companions = [database.with_name(database.name + s) for s in ("-wal", "-shm", "-journal")]
    return [database, *[p for p in companions if p.exists()]]


async def test_no_phone_number_or_typed_code_is_left_in_clear_in_the_database_or_the_logs(
    start_app: AppFactory,
    telegram: FakeTelegramServer,
    resident_en: FakeUser,
    database_url: str,
    debug_logs: pytest.LogCaptureFixture,
) -> None:
    app = await start_app()
    code = (await residents.issue_code(app))["101"]
    offer = await residents.register(telegram, resident_en, "Alice")
    asked = await residents.press(telegram, resident_en, offer, "🔑 I have a unit code")
    assert "code" in asked.params["text"]
    bound = await say(telegram, resident_en, code)
    assert "101" in bound.params["text"]
    await residents.settled(app)
    await residents.delivered(app)
    assert app.sessionmaker is not None
    async with app.sessionmaker() as session:
        person = await session.scalar(select(Person).where(Person.telegram_id == resident_en.id))
        assert person is not None and person.phone is not None  # kept, encrypted
        assert PHONE_DIGITS in person.phone
        assert await session.scalar(select(ResidentUnit))  # the code worked
        stored = (await session.scalars(select(InboundUpdate.payload))).all()
    assert len(stored) >= 5  # /start, agree, name, contact, button, code
    inbox_text = json.dumps(stored, ensure_ascii=False)
    assert PHONE_DIGITS not in inbox_text and code not in inbox_text

    await app.stop()  # at rest: SQLite checkpoints its WAL into the file
    if not ON_POSTGRES:
        for path in sqlite_files(database_url):
            data = path.read_bytes()
            assert PHONE_DIGITS.encode() not in data, f"phone number in clear in {path.name}"
            assert code.encode() not in data, f"unit code in clear in {path.name}"

    logged = "\n".join(logging.Formatter("%(message)s").format(r) for r in debug_logs.records)
    assert debug_logs.records
    assert PHONE_DIGITS not in logged and code not in logged
