"""The inbox stores each update once and hands it out in order per chat."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import event, select

from storage import inbox
from storage.models import InboundStatus, InboundUpdate


def private_update(update_id: int, chat_id: int, content: dict) -> dict:
    """An update with a message in a private chat; ``content`` is what the message holds."""
    return {
        "update_id": update_id,
        "message": {
            "message_id": update_id,
            "date": 0,
            "chat": {"id": chat_id, "type": "private"},
            **content,
        },
    }


def message_update(update_id: int, chat_id: int) -> dict:
    return private_update(update_id, chat_id, {"text": f"hi {update_id}"})


LEASE = timedelta(minutes=2)


async def store(sessionmaker, clock, *updates: tuple[int, int]) -> int:
    """Store message updates given as (update id, chat id) in one transaction; how many new."""
    async with sessionmaker() as session, session.begin():
        batch = [message_update(update_id, chat_id) for update_id, chat_id in updates]
        return await inbox.store_updates(session, batch, clock.now())


async def claim(sessionmaker, clock, worker: str) -> list[int]:
    """The update ids the worker claims now (in one transaction)."""
    async with sessionmaker() as session, session.begin():
        return [r.update_id for r in await inbox.claim_batch(session, worker, clock.now(), LEASE)]


async def test_redelivered_update_is_stored_once(sessionmaker, clock) -> None:
    assert await store(sessionmaker, clock, (1, 10)) == 1
    assert await store(sessionmaker, clock, (1, 10), (2, 10)) == 1
    async with sessionmaker() as session:
        ids = (await session.scalars(select(InboundUpdate.update_id))).all()
    assert sorted(ids) == [1, 2]


async def test_storing_a_batch_reuses_the_compiled_statement(engine, sessionmaker, clock) -> None:
    """Each ``getUpdates`` answer is stored with one statement; its rows are parameters,
    so SQLAlchemy compiles it once whatever the batch (the rows in the statement itself
    gave it no cache key: compiled for every batch)."""
    seen: list[object] = []

    def _seen(_conn, _cursor, statement: str, _params, context, _many) -> None:
        if statement.startswith("INSERT INTO inbound_updates"):
            seen.append(context.cache_hit)

    event.listen(engine.sync_engine, "before_cursor_execute", _seen)
    try:
        assert await store(sessionmaker, clock, (1, 10), (2, 11), (3, 12)) == 3
        assert await store(sessionmaker, clock, (3, 12), (4, 10)) == 1
        assert await store(sessionmaker, clock, (5, 10)) == 1
        assert await store(sessionmaker, clock, (6, 10)) == 1
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", _seen)
    # Several rows and one row are compiled once each (an executemany and an execute).
    hit = engine.dialect.CACHE_HIT
    assert len(seen) == 4 and (seen[1], seen[3]) == (hit, hit)


async def test_claims_are_exclusive_and_leased(sessionmaker, clock) -> None:
    await store(sessionmaker, clock, (1, 10), (2, 20))
    first = await claim(sessionmaker, clock, "a")
    second = await claim(sessionmaker, clock, "b")
    assert first == [1, 2]
    assert second == []
    clock.advance(LEASE + timedelta(seconds=1))  # worker "a" died; its lease ran out
    assert await claim(sessionmaker, clock, "b") == [1, 2]


async def test_a_chat_waits_while_its_earlier_update_is_retrying(sessionmaker, clock) -> None:
    async with sessionmaker() as session, session.begin():
        await inbox.store_updates(
            session,
            [message_update(1, 10), message_update(2, 10), message_update(3, 20)],
            clock.now(),
        )
        await inbox.record_failure(
            session, 1, "boom", clock.now(), clock.now() + timedelta(seconds=4), 5
        )
    assert await claim(sessionmaker, clock, "a") == [3]  # chat 10 is held back behind update 1
    clock.advance(seconds=5)
    assert await claim(sessionmaker, clock, "a") == [1, 2]


async def test_mark_done_happens_once_and_failures_are_parked(sessionmaker, clock) -> None:
    await store(sessionmaker, clock, (1, 10), (2, 11))
    async with sessionmaker() as session, session.begin():
        assert await inbox.mark_done(session, 1, clock.now())
        assert not await inbox.mark_done(session, 1, clock.now())
        assert not await inbox.is_pending(session, 1)
    for _ in range(3):
        async with sessionmaker() as session, session.begin():
            status = await inbox.record_failure(session, 2, "boom", clock.now(), clock.now(), 3)
    assert status is InboundStatus.FAILED


async def test_handled_updates_are_purged_after_retention(sessionmaker, clock) -> None:
    async with sessionmaker() as session, session.begin():
        await inbox.store_updates(
            session, [message_update(1, 10), message_update(2, 10)], clock.now()
        )
        await inbox.mark_done(session, 1, clock.now())
    clock.advance(days=3)
    async with sessionmaker() as session, session.begin():
        assert await inbox.purge_handled(session, clock.now() - timedelta(days=2)) == 1
    async with sessionmaker() as session:
        assert (await session.scalars(select(InboundUpdate.update_id))).all() == [2]


def test_chat_key_covers_messages_buttons_and_membership() -> None:
    assert inbox.chat_key_of(message_update(1, 5)) == "chat:5"
    callback = {
        "update_id": 2,
        "callback_query": {"id": "x", "from": {"id": 7}, "message": {"chat": {"id": -3}}},
    }
    assert inbox.chat_key_of(callback) == "chat:-3"
    assert inbox.chat_key_of({"update_id": 3, "my_chat_member": {"chat": {"id": -9}}}) == "chat:-9"
    assert inbox.chat_key_of({"update_id": 4}) == "other"
