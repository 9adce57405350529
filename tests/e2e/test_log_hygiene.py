"""The logs of a whole scenario never hold the bot token, unit codes, phone numbers or
anything a person wrote — not even at DEBUG level."""

from __future__ import annotations

import logging

import pytest

from bot.app.application import Application
from bot.app.logging_setup import RedactingFormatter
from bot.services.tickets import lifecycle
from fake_telegram import FakeTelegramServer, FakeUser
from tests.e2e import residents
from tests.e2e.conftest import TOKEN
from tests.e2e.staff_helpers import as_actor

PHONE = "8613912345678"
SECRET_WORDS = "我家阳台的排水管在漏水很严重"
STAFF_WORDS = "维修师傅十分钟后到达"


async def test_logs_of_a_full_scenario_hold_no_secrets_or_personal_text(
    app: Application,
    telegram: FakeTelegramServer,
    resident_zh: FakeUser,
    debug_logs: pytest.LogCaptureFixture,
) -> None:
    code = await residents.register_with_code(app, telegram, resident_zh, "张小明")
    await residents.file_leak_in_chat(telegram, resident_zh, SECRET_WORDS)
    await residents.settled(app)
    ticket_id = 1
    await as_actor(
        app, 5001, lambda s, c, a: lifecycle.reply_to_resident(s, c, ticket_id, a, STAFF_WORDS)
    )
    app.sender.wake()
    await telegram.wait_for(
        "sendMessage", lambda call: STAFF_WORDS in call.params["text"], chat_id=resident_zh.id
    )
    telegram.send_text(resident_zh, "/frobnicate " + SECRET_WORDS)  # the fallback path too
    await telegram.wait_for("sendMessage", chat_id=resident_zh.id, count=1)
    await residents.settled(app)

    formatter = RedactingFormatter("%(name)s %(message)s", secrets=[TOKEN])
    raw = "\n".join(
        logging.Formatter("%(name)s %(message)s").format(record) for record in debug_logs.records
    )
    shown = "\n".join(formatter.format(record) for record in debug_logs.records)
    assert debug_logs.records, "the scenario produced no logs at all: the test would prove nothing"
    for secret in (code, PHONE, SECRET_WORDS, STAFF_WORDS, "张小明"):
        assert secret not in raw, f"{secret!r} reached the logs"
    assert TOKEN not in shown  # the token is scrubbed by the formatter the bot installs
