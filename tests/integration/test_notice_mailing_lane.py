"""A notice to thousands of residents is a mailing: the outbox sender claims its copies
(and the edits of a correction) after the conversations' messages due, like a survey
campaign's, so a reply queued meanwhile is not held up; the sender's progress line is a
conversation message."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.presentation import outbox
from bot.services.announcements.sending import announcement_ref, reader_key
from scheduler.outbox_sender import BROADCAST_REF_PREFIXES, is_broadcast
from storage import outbox_queue
from storage.models import OutboxMessage

NOW = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
LEASE = timedelta(minutes=2)


async def test_a_reply_queued_during_a_notice_is_claimed_before_its_copies(sessionmaker) -> None:
    async with sessionmaker() as session, session.begin():
        await outbox.enqueue_many(
            session,
            [
                outbox.Outgoing(1000 + i, {"text": f"停水通知 {i}"}, dedup_key=reader_key(7, i))
                for i in range(4)
            ],
            now=NOW,
            ref=announcement_ref(7),
        )
        await outbox.enqueue(
            session, chat_id=2000, method="editMessageText",
            payload={"message_id": 5, "text": "停水通知（已更正）"}, now=NOW,
            ref=announcement_ref(6),
        )  # fmt: skip
        later = NOW + timedelta(seconds=1)
        await outbox.enqueue_text(session, chat_id=42, text="your ticket is taken", now=later)
        await outbox.enqueue_text(
            session, chat_id=43, text="⏳ 1 delivered", now=later, ref="notice-progress:7"
        )
    async with sessionmaker() as session, session.begin():
        claimed = await outbox_queue.claim_due(
            session, "sender", later, LEASE, limit=4, bulk_ref_prefix=BROADCAST_REF_PREFIXES
        )
    assert [m.chat_id for m in claimed] == [42, 43, 1000, 1001]


def test_a_notice_copy_is_a_broadcast_its_edit_and_the_progress_are_not_paid_ones() -> None:
    def message(ref: str, method: str = "sendMessage") -> OutboxMessage:
        return OutboxMessage(chat_id=1, method=method, payload={}, ref=ref)

    assert is_broadcast(message(announcement_ref(7)))
    assert is_broadcast(message(announcement_ref(7), "sendPhoto"))
    assert is_broadcast(message("survey-campaign:sunshine-20261102"))
    assert not is_broadcast(message(announcement_ref(7), "editMessageText"))
    assert not is_broadcast(message("notice-progress:7"))
