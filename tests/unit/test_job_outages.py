"""A scheduler job meets an outage: it ends the run with one log line per outage and the
next tick is the retry. A fault (not an outage) is raised to the scheduler, which logs
it and runs the job again at its next tick: a job never stops the process."""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from typing import Any, cast

import pytest
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from sqlalchemy import exc as sa_exc

from scheduler.deps import JobDeps
from scheduler.jobs import surviving_outages

DEPS = cast(JobDeps, object())  # the jobs here do not use it


def locked() -> sa_exc.OperationalError:
    return sa_exc.OperationalError(
        "UPDATE tickets SET next_sla_check_at = ?",
        (),
        sqlite3.OperationalError("database is locked"),
    )


class Job:
    """A job that raises each of ``outcomes`` in turn (an exception), or returns it."""

    def __init__(self, *outcomes: Any) -> None:
        self.outcomes = list(outcomes)
        self.runs = 0

    async def __call__(self, deps: JobDeps) -> Any:
        self.runs += 1
        outcome = self.outcomes.pop(0) if self.outcomes else "done"
        if isinstance(outcome, BaseException):
            raise outcome
        return outcome


def outage_lines(caplog: pytest.LogCaptureFixture, job_id: str) -> list[str]:
    return [
        r.getMessage()
        for r in caplog.records
        if r.name == "scheduler.resilience" and r.getMessage().startswith(f"job {job_id}: ")
    ]


async def test_an_outage_ends_the_run_with_one_line_and_the_next_run_works_again(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO)
    job = Job(locked(), locked(), ConnectionRefusedError(111, "refused"), 7)
    run = surviving_outages(job, "sla_sweep")

    assert [await run(DEPS) for _ in range(3)] == [None, None, None]  # nothing raised
    (began,) = outage_lines(caplog, "sla_sweep")
    assert "the database is unavailable" in began and "database is locked" in began
    assert "UPDATE" not in began  # the failing statement is not logged

    assert await run(DEPS) == 7  # the database is back: the job's own result
    assert await run(DEPS) == "done"
    lines = outage_lines(caplog, "sla_sweep")
    assert len(lines) == 2 and "back to work" in lines[1] and "3 failed attempts" in lines[1]
    assert job.runs == 5


async def test_a_fault_is_raised_to_the_scheduler_and_logged_as_no_outage(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO)
    run = surviving_outages(Job(ValueError("a bug")), "daily_digest")
    with pytest.raises(ValueError, match="a bug"):
        await run(DEPS)
    assert outage_lines(caplog, "daily_digest") == []
    assert await run(DEPS) == "done"  # the next run is a run like any other


async def test_the_scheduler_runs_a_faulty_job_again_at_its_next_tick(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """What the application relies on: APScheduler logs the fault (with its traceback) and
    keeps the job; nothing else stops."""
    job = Job(ValueError("a bug"), locked(), 1)
    scheduler = AsyncIOScheduler(timezone="UTC")
    scheduler.add_job(
        surviving_outages(job, "survey_sweep"),
        "interval",
        args=[DEPS],
        seconds=0.05,
        id="survey_sweep",
        max_instances=1,
        coalesce=True,
    )
    scheduler.start()
    try:
        for _ in range(200):
            if job.runs >= 4:
                break
            await asyncio.sleep(0.02)
    finally:
        scheduler.shutdown(wait=False)
    assert job.runs >= 4
    faults = [r for r in caplog.records if "raised an exception" in r.getMessage()]
    assert len(faults) == 1 and faults[0].exc_info is not None
    assert len(outage_lines(caplog, "survey_sweep")) == 2  # began, back to work
