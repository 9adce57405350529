"""Rotating the personal-data key to the end: ``resident-bot rekey`` encrypts every stored
value again with the newest key, after which the older key can be removed."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest
from sqlalchemy import select, text

from bot.presentation import outbox
from storage import inbox
from storage.crypto import cipher, configure_cipher, generate_key, normalise_phone
from storage.models import InboundUpdate, OutboxMessage, Person
from storage.outbox_queue import opened
from storage.rekey import rekey
from tests.conftest import TEST_ENCRYPTION_KEY
from tests.integration.test_cli import run_cli
from tests.integration.test_inbox import message_update

OLD = TEST_ENCRYPTION_KEY
NEW = generate_key()
PHONES = ["+86 138-0013-8000", "+8613900000001", "+8613900000002"]
CALL = {"method": "sendMessage", "params": {"chat_id": 10, "text": "Your phone: +8613900000001"}}


@pytest.fixture
def keys() -> Iterator[None]:
    """The test may change the configured keys; the session's key is put back after."""
    yield
    configure_cipher([OLD])


async def _store_everything(sessionmaker, clock) -> None:
    """With the old key: phone numbers, updates (one replying, its calls kept), outbox
    messages (one sealed, one plain)."""
    async with sessionmaker() as session, session.begin():
        for n, phone in enumerate(PHONES, 1):
            session.add(Person(telegram_id=n, phone=phone, created_at=clock.now()))
        session.add(Person(telegram_id=99, created_at=clock.now()))  # no phone
        await inbox.store_updates(
            session, [message_update(1, 10), message_update(2, 11)], clock.now()
        )
        await outbox.enqueue(
            session,
            chat_id=10,
            method="sendMessage",
            payload={"text": "Your phone: +8613800138000"},
            now=clock.now(),
            sealed=True,
        )
        await outbox.enqueue_text(session, chat_id=11, text="hello", now=clock.now())
    async with sessionmaker() as session, session.begin():
        await inbox.mark_done(session, 1, clock.now(), calls=[CALL], owner="w")


async def _everything_reads_with_the_new_key_alone(sessionmaker) -> None:
    configure_cipher([NEW])  # the old key is gone
    async with sessionmaker() as session:
        people = (await session.scalars(select(Person).order_by(Person.telegram_id))).all()
        updates = {u.update_id: u.payload for u in await session.scalars(select(InboundUpdate))}
        messages = {m.chat_id: m.payload for m in await session.scalars(select(OutboxMessage))}
    assert [p.phone for p in people] == [*PHONES, None]
    assert [p.phone_index for p in people[:3]] == [
        cipher().blind_index(normalise_phone(phone)) for phone in PHONES
    ]
    assert inbox.owed_calls(updates[1]) == [CALL]
    assert opened(updates[2])["message"]["text"] == "hi 2"
    assert opened(messages[10]) == {"text": "Your phone: +8613800138000"}
    assert messages[11]["text"] == "hello"  # plain, and left so


async def test_every_stored_value_is_encrypted_again_with_the_newest_key(
    sessionmaker, clock, keys
) -> None:
    await _store_everything(sessionmaker, clock)
    configure_cipher([NEW, OLD])
    report = await rekey(sessionmaker, batch=2)  # several batches of each table
    assert (report.phones, report.updates, report.outbox_messages) == (3, 2, 1)
    assert report.unreadable == 0
    await _everything_reads_with_the_new_key_alone(sessionmaker)


async def test_a_value_no_key_opens_is_left_as_it_is_and_counted(sessionmaker, clock, keys) -> None:
    await _store_everything(sessionmaker, clock)
    stranger = generate_key()
    configure_cipher([stranger])
    async with sessionmaker() as session, session.begin():
        session.add(Person(telegram_id=50, phone="+8613700000000", created_at=clock.now()))
    configure_cipher([NEW, OLD])
    report = await rekey(sessionmaker)
    assert (report.phones, report.unreadable) == (3, 1)
    async with sessionmaker() as session:
        raw = await session.scalar(text("SELECT phone FROM people WHERE telegram_id = 50"))
    configure_cipher([stranger])
    async with sessionmaker() as session:
        kept = await session.scalar(select(Person.phone).where(Person.telegram_id == 50))
    assert raw and kept == "+8613700000000"


async def test_the_command_rekeys_and_says_the_old_key_can_go(
    database_url, sessionmaker, clock, keys, tmp_path
) -> None:
    await _store_everything(sessionmaker, clock)
    env = {"DATABASE_URL": database_url, "DATA_ENCRYPTION_KEY": f"{NEW},{OLD}"}
    result = await asyncio.to_thread(run_cli, "rekey", cwd=tmp_path, env=env)
    assert result.returncode == 0, result.stderr
    assert "3 phone numbers, 2 stored updates, 1 outbox messages" in result.stdout
    assert "remove them from DATA_ENCRYPTION_KEY" in result.stdout
    await _everything_reads_with_the_new_key_alone(sessionmaker)


async def test_the_command_fails_when_a_value_stays_unreadable(
    database_url, sessionmaker, clock, keys, tmp_path
) -> None:
    async with sessionmaker() as session, session.begin():
        session.add(Person(telegram_id=1, phone=PHONES[0], created_at=clock.now()))
    env = {"DATABASE_URL": database_url, "DATA_ENCRYPTION_KEY": NEW}  # the old key forgotten
    result = await asyncio.to_thread(run_cli, "rekey", cwd=tmp_path, env=env)
    assert result.returncode == 1
    assert "1 stored values open with none of the configured keys" in result.stderr
    assert "remove them" not in result.stdout


async def test_the_command_refuses_a_malformed_key(database_url, tmp_path) -> None:
    env = {"DATABASE_URL": database_url, "DATA_ENCRYPTION_KEY": "not-a-key"}
    result = await asyncio.to_thread(run_cli, "rekey", cwd=tmp_path, env=env)
    assert result.returncode == 2
    assert "Cannot set up personal-data encryption" in result.stderr
    assert "Traceback" not in result.stderr
