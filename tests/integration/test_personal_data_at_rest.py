"""Personal data at rest and in errors: handled raw updates keep only their ids, failed
ones are forgotten on the same retention (counted in the audit log), statement
parameters never appear in errors, and the files holding personal data are 0600."""

from __future__ import annotations

import json
import os
import stat
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.engine import make_url
from sqlalchemy.exc import IntegrityError

from bot.app.context import Context
from bot.app.encryption_keys import load_keys
from bot.config.settings import Settings
from bot.services.privacy.retention import apply_retention
from storage import inbox, outbox_queue
from storage.db import create_engine
from storage.models import AuditEntry, InboundStatus, InboundUpdate, Person
from tests.db import ON_POSTGRES
from tests.integration.test_inbox import LEASE, private_update

PHONE = "8613912345678"


def contact_update(update_id: int, chat_id: int) -> dict:
    return private_update(
        update_id,
        chat_id,
        {
            "from": {"id": chat_id, "is_bot": False, "first_name": "Alice"},
            "contact": {"phone_number": PHONE, "first_name": "Alice", "user_id": chat_id},
        },
    )


async def payloads(sessionmaker) -> dict[int, tuple[InboundStatus, dict]]:
    async with sessionmaker() as session:
        rows = (await session.scalars(select(InboundUpdate))).all()
    return {r.update_id: (r.status, r.payload) for r in rows}


async def test_a_handled_update_keeps_only_its_id_one_not_finished_keeps_everything(
    sessionmaker, clock
) -> None:
    async with sessionmaker() as session, session.begin():
        await inbox.store_updates(
            session, [contact_update(1, 7), contact_update(2, 8)], clock.now()
        )
    async with sessionmaker() as session, session.begin():
        await inbox.claim_batch(session, "w", clock.now(), LEASE)
    async with sessionmaker() as session, session.begin():
        assert await inbox.mark_done(session, 1, clock.now())
    # Update 2 was claimed when the process died: it must still be there to handle again.
    stored = await payloads(sessionmaker)
    assert stored[1] == (InboundStatus.DONE, {"update_id": 1})
    assert stored[2][0] is InboundStatus.PENDING
    assert PHONE not in json.dumps(stored[2][1])  # kept sealed
    assert outbox_queue.opened(stored[2][1])["message"]["contact"]["phone_number"] == PHONE


async def test_the_update_handed_to_the_worker_is_the_one_telegram_sent(
    sessionmaker, clock
) -> None:
    update = contact_update(1, 7)
    async with sessionmaker() as session, session.begin():
        await inbox.store_updates(session, [update], clock.now())
    async with sessionmaker() as session, session.begin():
        (claimed,) = await inbox.claim_batch(session, "w", clock.now(), LEASE)
    assert claimed.payload == update


async def test_an_update_stored_before_updates_were_sealed_is_still_handled(
    sessionmaker, clock
) -> None:
    update = contact_update(1, 7)
    async with sessionmaker() as session, session.begin():
        session.add(
            InboundUpdate(
                update_id=1,
                payload=update,
                chat_key=inbox.chat_key_of(update),
                status=InboundStatus.PENDING,
                attempts=0,
                received_at=clock.now(),
                available_at=clock.now(),
            )
        )
    async with sessionmaker() as session, session.begin():
        (claimed,) = await inbox.claim_batch(session, "w", clock.now(), LEASE)
    assert claimed.payload == update


async def test_the_replies_an_update_owes_are_kept_sealed_until_sent(sessionmaker, clock) -> None:
    """Between the commit and the sending, the calls wait on the inbox row: what the
    handler showed the person (their own phone number, in /profile) is not kept in clear."""
    owed = [{"method": "sendMessage", "params": {"chat_id": 7, "text": f"Phone: +{PHONE}"}}]
    async with sessionmaker() as session, session.begin():
        await inbox.store_updates(session, [contact_update(1, 7)], clock.now())
    async with sessionmaker() as session, session.begin():
        await inbox.claim_batch(session, "w", clock.now(), LEASE)
    async with sessionmaker() as session, session.begin():
        assert await inbox.mark_done(session, 1, clock.now(), calls=owed, owner="w")
    status, payload = (await payloads(sessionmaker))[1]
    assert status is InboundStatus.REPLYING
    assert PHONE not in json.dumps(payload)
    assert inbox.owed_calls(payload) == owed
    # A row written by a version that kept them in clear is still read.
    assert inbox.owed_calls({"update_id": 1, "owed": owed}) == owed
    assert inbox.owed_calls({"update_id": 1}) == []


async def test_a_failed_update_keeps_only_its_id_and_is_purged_with_an_audit_count(
    sessionmaker, clock, ctx: Context
) -> None:
    async with sessionmaker() as session, session.begin():
        await inbox.store_updates(
            session, [contact_update(1, 7), contact_update(2, 8)], clock.now()
        )
    for _ in range(2):
        async with sessionmaker() as session, session.begin():
            status = await inbox.record_failure(
                session, 1, "ValueError: boom", clock.now(), clock.now(), max_attempts=2
            )
    assert status is InboundStatus.FAILED
    assert (await payloads(sessionmaker))[1] == (InboundStatus.FAILED, {"update_id": 1})

    async with sessionmaker() as session, session.begin():
        report = await apply_retention(session, ctx.at(clock.now() + timedelta(days=1)))
    assert report.failed_updates_purged == 0  # a duplicate could still arrive
    later = clock.now() + inbox.HANDLED_UPDATES_KEPT_FOR + timedelta(minutes=1)
    async with sessionmaker() as session, session.begin():
        report = await apply_retention(session, ctx.at(later))
    assert report.failed_updates_purged == 1
    assert list(await payloads(sessionmaker)) == [2]  # the pending one stays
    async with sessionmaker() as session:
        entries = (await session.scalars(select(AuditEntry))).all()
    assert [(e.action, e.data) for e in entries] == [("inbox.failed_updates_purged", {"count": 1})]


async def test_a_failing_statement_does_not_carry_its_parameters(sessionmaker, clock) -> None:
    async with sessionmaker() as session, session.begin():
        session.add(Person(telegram_id=70, created_at=clock.now(), full_name="Someone Else"))
    with pytest.raises(IntegrityError) as raised:
        async with sessionmaker() as session, session.begin():
            session.add(Person(telegram_id=70, created_at=clock.now(), full_name="Alice Secret"))
    assert "Alice Secret" not in str(raised.value)
    assert "hidden" in str(raised.value)


def mode_of(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


async def test_the_sqlite_database_and_its_wal_files_are_created_readable_by_the_owner_only(
    tmp_path: Path,
) -> None:
    previous = os.umask(0o022)  # the usual umask: files would be 0644
    try:
        database = tmp_path / "data" / "bot.sqlite3"
        engine = create_engine(f"sqlite+aiosqlite:///{database}")
        async with engine.begin() as connection:
            await connection.exec_driver_sql("CREATE TABLE t (x TEXT)")
            await connection.exec_driver_sql("INSERT INTO t VALUES ('a')")
        wal = database.with_name("bot.sqlite3-wal")
        shm = database.with_name("bot.sqlite3-shm")
        assert wal.exists() and shm.exists()
        assert [mode_of(p) for p in (database, wal, shm)] == [0o600] * 3
        await engine.dispose()
    finally:
        os.umask(previous)


async def test_an_existing_world_readable_database_is_made_private(tmp_path: Path) -> None:
    database = tmp_path / "old.sqlite3"
    database.touch()
    database.chmod(0o644)
    leftover = tmp_path / "old.sqlite3-wal"
    leftover.touch()
    leftover.chmod(0o664)
    engine = create_engine(f"sqlite+aiosqlite:///{database}")
    await engine.dispose()
    assert (mode_of(database), mode_of(leftover)) == (0o600, 0o600)


def test_the_key_file_is_created_private_and_an_open_one_is_closed(tmp_path: Path) -> None:
    previous = os.umask(0o022)
    try:
        settings = Settings(
            _env_file=None, database_url=f"sqlite+aiosqlite:///{tmp_path}/bot.sqlite3"
        )
        key = load_keys(settings)
        assert mode_of(tmp_path / "bot.key") == 0o600
        (tmp_path / "bot.key").chmod(0o644)  # copied around by hand, say
        assert load_keys(settings) == key
        assert mode_of(tmp_path / "bot.key") == 0o600
    finally:
        os.umask(previous)


@pytest.mark.skipif(ON_POSTGRES, reason="about the SQLite file's bytes")
async def test_an_update_waiting_to_be_handled_is_not_in_the_sqlite_files_in_clear(
    engine, sessionmaker, clock, database_url: str
) -> None:
    async with sessionmaker() as session, session.begin():
        await inbox.store_updates(session, [contact_update(1, 7)], clock.now())
    database = Path(make_url(database_url).database or "")
    wal = database.with_name(database.name + "-wal")
    assert wal.exists() and PHONE.encode() not in wal.read_bytes()  # before a checkpoint
    await engine.dispose()
    assert PHONE.encode() not in database.read_bytes()


@pytest.mark.skipif(ON_POSTGRES, reason="about the SQLite file's bytes")
async def test_a_handled_update_leaves_no_bytes_of_its_payload_in_the_sqlite_file(
    engine, sessionmaker, clock, database_url: str
) -> None:
    for update_id in range(1, 21):
        update = contact_update(update_id, 7)
        update["message"]["caption"] = "call me back, please " * 10  # a longer row
        async with sessionmaker() as session, session.begin():
            await inbox.store_updates(session, [update], clock.now())
        async with sessionmaker() as session, session.begin():
            assert await inbox.mark_done(session, update_id, clock.now())
    await engine.dispose()  # the last connection checkpoints the WAL into the file
    assert PHONE.encode() not in Path(make_url(database_url).database or "").read_bytes()
