"""The outbox sender claims a batch in two statements, whatever its size: the due
messages are read, then claimed by one conditional UPDATE that returns the ids it won."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from bot.presentation import outbox
from storage import outbox_queue
from storage.models import OutboxMessage
from storage.statements import counting_statements

NOW = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
LEASE = timedelta(minutes=2)


async def _queue(sessionmaker, chat_ids) -> None:
    async with sessionmaker() as session, session.begin():
        for chat_id in chat_ids:
            await outbox.enqueue_text(session, chat_id=chat_id, text="hello", now=NOW)


async def test_a_batch_of_thirty_is_claimed_in_two_statements(engine, sessionmaker) -> None:
    await _queue(sessionmaker, range(1, 31))
    with counting_statements(engine) as counter:
        async with sessionmaker() as session, session.begin():
            claimed = await outbox_queue.claim_due(session, "sender", NOW, LEASE, limit=50)
    assert sorted(m.chat_id for m in claimed) == list(range(1, 31))
    assert sum(counter.statements.values()) == 2, counter.log
    async with sessionmaker() as session:
        holders = set(await session.scalars(select(OutboxMessage.locked_by)))
        leases = set(await session.scalars(select(OutboxMessage.locked_until)))
    assert holders == {"sender"} and leases == {NOW + LEASE}


async def test_only_the_oldest_message_of_a_chat_and_only_free_ones_are_claimed(
    sessionmaker,
) -> None:
    await _queue(sessionmaker, [1, 1, 2, 3])
    async with sessionmaker() as session, session.begin():
        first = await outbox_queue.claim_due(session, "a", NOW, LEASE, limit=2)
    async with sessionmaker() as session, session.begin():
        second = await outbox_queue.claim_due(session, "b", NOW, LEASE)
    # Chat 1's second message waits for its first; what "a" holds stays with "a".
    assert [m.chat_id for m in first] == [1, 2]
    assert [m.chat_id for m in second] == [3]
    async with sessionmaker() as session, session.begin():
        after_lease = await outbox_queue.claim_due(session, "c", NOW + LEASE * 2, LEASE)
    assert [m.chat_id for m in after_lease] == [1, 2, 3]  # both leases ran out, unsent


async def test_nothing_due_costs_one_statement(engine, sessionmaker) -> None:
    with counting_statements(engine) as counter:
        async with sessionmaker() as session, session.begin():
            assert await outbox_queue.claim_due(session, "sender", NOW, LEASE) == []
    assert sum(counter.statements.values()) == 1, counter.log
