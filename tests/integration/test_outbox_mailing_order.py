"""The outbox sender claims a mailing's messages after every other message due, so a
campaign to thousands never holds up the conversations going on meanwhile."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.presentation import outbox
from scheduler.outbox_sender import BROADCAST_REF_PREFIX
from storage import outbox_queue

NOW = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
LEASE = timedelta(minutes=2)


LATER = NOW + timedelta(seconds=1)


async def _invitations_then_a_reply(sessionmaker, invitations: int) -> None:
    """A campaign's ``invitations`` queued at NOW, then a reply to a resident a second later."""
    async with sessionmaker() as session, session.begin():
        await outbox.enqueue_many(
            session,
            [outbox.Outgoing(1000 + i, {"text": f"invitation {i}"}) for i in range(invitations)],
            now=NOW,
            ref=f"{BROADCAST_REF_PREFIX}sunshine-20261102",
        )
        await outbox.enqueue_text(session, chat_id=42, text="your ticket is taken", now=LATER)


async def test_a_reply_queued_during_a_campaign_is_claimed_before_the_invitations(
    sessionmaker,
) -> None:
    await _invitations_then_a_reply(sessionmaker, 5)
    async with sessionmaker() as session, session.begin():
        claimed = await outbox_queue.claim_due(
            session, "sender", LATER, LEASE, limit=3, bulk_ref_prefix=BROADCAST_REF_PREFIX
        )
    assert [m.chat_id for m in claimed] == [42, 1000, 1001]


async def test_without_a_bulk_prefix_the_oldest_due_comes_first(sessionmaker) -> None:
    await _invitations_then_a_reply(sessionmaker, 2)
    async with sessionmaker() as session, session.begin():
        claimed = await outbox_queue.claim_due(session, "sender", LATER, LEASE)
    assert [m.chat_id for m in claimed] == [1000, 1001, 42]
