"""Dead letters are visible to admins: /outbox in Telegram and ``resident-bot outbox``."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

from bot.app.application import Application
from fake_telegram import FakeTelegramServer
from storage.db import create_engine, create_sessionmaker
from storage.models import OutboxMessage, OutboxStatus
from tests.conftest import eventually
from tests.e2e.conftest import say
from tests.integration.test_cli import run_cli

GROUP = -1009000000100


async def park_dead_letter(app: Application, text: str) -> int:
    assert app.sessionmaker is not None
    async with app.sessionmaker() as session, session.begin():
        row = OutboxMessage(
            chat_id=GROUP,
            method="sendMessage",
            payload={"text": text, "parse_mode": "HTML"},
            status=OutboxStatus.DEAD,
            attempts=8,
            created_at=app.clock.now(),
            next_attempt_at=app.clock.now(),
            last_error="Bad Gateway",
        )
        session.add(row)
        await session.flush()
        return row.id


async def test_an_admin_sees_dead_letters_and_queues_them_again(
    app: Application, telegram: FakeTelegramServer
) -> None:
    message_id = await park_dead_letter(app, "<b>SG-000007</b> card")
    admin = telegram.user(id=5100, first_name="赵敏", language_code="en")
    answer = await say(telegram, admin, "/outbox")
    text = answer.params["text"]
    assert f"#{message_id}" in text and "Bad Gateway" in text and "SG-000007 card" in text
    assert "1 undeliverable" in text

    await say(telegram, admin, f"/outbox retry {message_id}")
    await eventually(
        lambda: [m.data.get("text") for m in telegram.messages_in(GROUP)] == ["SG-000007 card"]
    )
    assert app.sessionmaker is not None

    async def sent() -> bool:
        async with app.sessionmaker() as session:
            row = await session.get(OutboxMessage, message_id)
        return row is not None and row.status is OutboxStatus.SENT

    await eventually(sent)


async def test_the_outbox_is_not_shown_to_anyone_else(
    app: Application, telegram: FakeTelegramServer
) -> None:
    await park_dead_letter(app, "secret")
    agent = telegram.user(id=5001, first_name="王芳", language_code="en")
    answer = await say(telegram, agent, "/outbox")
    assert "Only administrators" in answer.params["text"]
    assert "secret" not in answer.params["text"]


async def test_the_command_line_lists_and_retries_dead_letters(
    app: Application, database_url: str, tmp_path: Path
) -> None:
    message_id = await park_dead_letter(app, "lost in transit")
    await app.stop()  # an operator's command next to a stopped bot (SQLite has one writer)
    env = {"DATABASE_URL": database_url, "DATA_ENCRYPTION_KEY": ""}
    listing = run_cli("outbox", cwd=tmp_path, env=env)
    assert listing.returncode == 0, listing.stderr
    assert "dead: 1" in listing.stdout and f"#{message_id}" in listing.stdout
    assert "lost in transit" in listing.stdout and "Bad Gateway" in listing.stdout
    retried = run_cli("outbox", "--retry", str(message_id), cwd=tmp_path, env=env)
    assert "queued again: 1 of 1" in retried.stdout
    engine = create_engine(database_url)
    try:
        async with create_sessionmaker(engine)() as session:
            status = await session.scalar(
                select(OutboxMessage.status).where(OutboxMessage.id == message_id)
            )
    finally:
        await engine.dispose()
    assert status is OutboxStatus.PENDING
