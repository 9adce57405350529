"""A stop lets the scheduler's running jobs, and the tasks handlers started after their
updates, finish (``scheduler/in_hand.py``): it waits for them up to a grace period, then
cancels what is left."""

from __future__ import annotations

import asyncio

from scheduler.in_hand import JobsInHand


async def test_a_stop_waits_for_a_job_in_hand() -> None:
    in_hand = JobsInHand()
    finished: list[str] = []

    async def job(name: str) -> str:
        await asyncio.sleep(0.05)
        finished.append(name)
        return name

    task = asyncio.create_task(in_hand.tracked(job)("digest"))
    await asyncio.sleep(0)
    assert len(in_hand) == 1
    await in_hand.finish(grace=5)
    assert finished == ["digest"] and await task == "digest"
    assert len(in_hand) == 0


async def test_a_job_past_the_grace_is_cancelled(caplog) -> None:
    in_hand = JobsInHand()
    cancelled = asyncio.Event()

    async def stuck() -> None:
        try:
            await asyncio.Event().wait()
        except asyncio.CancelledError:
            cancelled.set()
            raise

    task = asyncio.create_task(in_hand.tracked(stuck)())
    await asyncio.sleep(0)
    await in_hand.finish(grace=0.05)
    assert cancelled.is_set() and task.cancelled()
    assert len(in_hand) == 0
    assert "1 job(s) still running" in caplog.text


async def test_nothing_in_hand_nothing_to_wait_for() -> None:
    in_hand = JobsInHand()

    async def quick() -> int:
        return 1

    assert await in_hand.tracked(quick)() == 1
    await asyncio.wait_for(in_hand.finish(grace=5), 0.5)


async def test_a_stop_waits_for_a_task_kept_until_it_is_done() -> None:
    in_hand = JobsInHand()
    sent: list[str] = []

    async def details() -> None:
        await asyncio.sleep(0.05)
        sent.append("details")

    in_hand.keep(asyncio.create_task(details()))
    assert len(in_hand) == 1
    await in_hand.finish(grace=5)
    assert sent == ["details"] and len(in_hand) == 0
