"""Rotating the personal-data key to the end: ``resident-bot rekey`` encrypts every stored
value again with the newest key, after which the older key can be removed."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Iterator

import pytest
from sqlalchemy import exc as sa_exc
from sqlalchemy import select, text, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from bot.app.cli.rekey import worth_retrying
from bot.presentation import outbox
from storage import inbox
from storage import rekey as rekey_module
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


async def test_a_batch_that_lost_a_race_is_tried_again_and_counted_once(
    sessionmaker, clock, keys, monkeypatch
) -> None:
    """The batch's rows are written, then its transaction fails (SQLite locked past its
    busy timeout): it is rolled back and tried again, and its rows count once."""
    await _store_everything(sessionmaker, clock)
    configure_cipher([NEW, OLD])
    write = rekey_module._write
    failures = [sqlite3_locked()]

    async def locked_once(session, model, rows) -> None:
        await write(session, model, rows)
        if model is Person and failures:
            raise failures.pop()

    monkeypatch.setattr(rekey_module, "_write", locked_once)
    monkeypatch.setattr(rekey_module, "RETRY_PAUSE", 0.0)
    report = await rekey(sessionmaker, batch=2, retryable=worth_retrying)
    assert (report.phones, report.updates, report.outbox_messages) == (3, 2, 1)
    assert report.retried == 1
    await _everything_reads_with_the_new_key_alone(sessionmaker)


async def test_an_error_not_worth_retrying_stops_the_pass_with_its_batch_undone(
    sessionmaker, clock, keys, monkeypatch
) -> None:
    await _store_everything(sessionmaker, clock)
    configure_cipher([NEW, OLD])
    write = rekey_module._write

    async def broken(session, model, rows) -> None:
        await write(session, model, rows)
        raise sa_exc.IntegrityError("UPDATE people", {}, Exception("a constraint"))

    monkeypatch.setattr(rekey_module, "_write", broken)
    with pytest.raises(sa_exc.IntegrityError):
        await rekey(sessionmaker, batch=2, retryable=worth_retrying)
    configure_cipher([OLD])  # nothing was committed: the old key still opens every phone
    async with sessionmaker() as session:
        phones = (await session.scalars(select(Person.phone).order_by(Person.telegram_id))).all()
    assert phones == [*PHONES, None]


async def test_a_batch_postgresql_aborts_to_end_a_deadlock_is_tried_again(
    engine: AsyncEngine, sessionmaker, clock, keys
) -> None:
    """Beside a live bot: another transaction holds the second phone's row, then asks for
    the first, which the batch already holds. PostgreSQL ends the deadlock by aborting
    the batch (it waited first); the batch runs again once the other has committed, and
    keeps the other's change."""
    if engine.dialect.name != "postgresql":
        pytest.skip("PostgreSQL only: SQLite has one write lock, and so no deadlock")
    await _store_everything(sessionmaker, clock)
    configure_cipher([NEW, OLD])
    async with sessionmaker() as session:
        first, second = (
            await session.scalars(select(Person.id).where(Person.phone.is_not(None)).limit(2))
        ).all()
    async with engine.connect() as other, other.begin():
        await other.execute(text("SET LOCAL deadlock_timeout = '30s'"))  # never the victim
        await other.execute(text(f"SELECT id FROM people WHERE id = {second} FOR UPDATE"))
        task = asyncio.create_task(rekey(sessionmaker, batch=2, retryable=worth_retrying))
        await _until_a_lock_is_awaited(engine)
        await other.execute(
            update(Person).where(Person.id == first).values(phone="+8613911112222")
        )  # waits for the batch's lock until the batch is aborted
    report = await asyncio.wait_for(task, timeout=30)
    assert report.retried >= 1
    assert (report.phones, report.unreadable) == (3, 0)
    configure_cipher([NEW])
    async with sessionmaker() as session:
        phone = await session.scalar(select(Person.phone).where(Person.id == first))
    assert phone == "+8613911112222"  # the other's change, not the batch's first copy


async def _until_a_lock_is_awaited(engine: AsyncEngine) -> None:
    async with engine.connect() as watcher:
        for _ in range(400):
            if await _waiting(watcher):
                return
            await asyncio.sleep(0.025)
    raise AssertionError("the batch never waited for the other's lock")


async def _waiting(watcher: AsyncConnection) -> bool:
    count = await watcher.scalar(text("SELECT count(*) FROM pg_locks WHERE NOT granted"))
    await watcher.rollback()  # a fresh snapshot for the next look
    return bool(count)


def sqlite3_locked() -> sa_exc.OperationalError:
    return sa_exc.OperationalError(
        "UPDATE people", {}, sqlite3.OperationalError("database is locked")
    )


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
