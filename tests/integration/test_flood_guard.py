"""Telling a flood from a chat: a burst waiting in the inbox, or too many a minute."""

from __future__ import annotations

from datetime import timedelta

from bot.config.orgfile.models import ResidentPolicy
from bot.services.flood import FloodGuard, Verdict
from storage import inbox

POLICY = ResidentPolicy(max_messages_per_minute=5, flood_backlog=10)


def update(update_id: int, chat_id: int) -> dict:
    return {"update_id": update_id, "message": {"chat": {"id": chat_id}, "text": "x"}}


async def test_a_burst_in_the_inbox_is_skipped_whole_and_told_once(sessionmaker, clock) -> None:
    async with sessionmaker() as session, session.begin():
        await inbox.store_updates(session, [update(i, 7001) for i in range(1, 31)], clock.now())
        await inbox.store_updates(session, [update(31, 7002)], clock.now())
    guard = FloodGuard()
    async with sessionmaker() as session:
        verdicts = [await guard.judge(session, 7001, i, clock.now(), POLICY) for i in range(1, 31)]
        other = await guard.judge(session, 7002, 31, clock.now(), POLICY)
        later = await guard.judge(session, 7001, 40, clock.now(), POLICY)
    assert verdicts[0] is Verdict.SKIP_AND_TELL
    assert set(verdicts[1:]) == {Verdict.SKIP}
    assert other is Verdict.HANDLE  # another chat is not affected
    assert later is Verdict.HANDLE  # a message after the burst is read again


async def test_more_than_the_minutes_allowance_is_skipped_until_the_minute_passes(
    sessionmaker, clock
) -> None:
    guard = FloodGuard()
    async with sessionmaker() as session:
        handled = [await guard.judge(session, 7001, i, clock.now(), POLICY) for i in range(5)]
        sixth = await guard.judge(session, 7001, 6, clock.now(), POLICY)
        seventh = await guard.judge(session, 7001, 7, clock.now(), POLICY)
        clock.advance(timedelta(seconds=61))
        after = await guard.judge(session, 7001, 8, clock.now(), POLICY)
    assert handled == [Verdict.HANDLE] * 5
    assert (sixth, seventh, after) == (Verdict.SKIP_AND_TELL, Verdict.SKIP, Verdict.HANDLE)
