"""Periodic jobs. Each is a few lines that call a service or a storage helper.

A job that queues messages wakes the outbox sender once it has committed. A job
that meets an outage of the database stops there and logs it once (see
``scheduler/resilience.py``); its next run, an interval later, is the retry, and
what it did not reach is still due then. Any other error is raised to the scheduler,
which logs it with its traceback and runs the job again at its next tick: a job never
stops the process.
"""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from bot.services.privacy.retention import RetentionReport, apply_retention
from bot.services.sla.sweep import SweepResult
from bot.services.stats.digest import post_daily_digests
from scheduler.announcement_jobs import NOTICE_PROGRESS_SECONDS, report_notice_progress
from scheduler.deps import JobDeps, queue_and_wake
from scheduler.in_hand import JobsInHand
from scheduler.resilience import Outage, is_transient
from scheduler.survey_jobs import run_survey_sweep
from storage import inbox

# Telegram keeps unconfirmed updates for 24 h; after that a duplicate cannot arrive.
HANDLED_UPDATE_RETENTION = timedelta(days=2)
SLA_CATCH_UP_DELAY = timedelta(seconds=3)
# Survey reminders, auto-close and scheduled questionnaires are looked at every minute.
SURVEY_SWEEP_SECONDS = 60
# The digest job looks every minute whether a group's digest time has come.
DIGEST_CHECK_SECONDS = 60


async def apply_data_retention(deps: JobDeps) -> RetentionReport:
    """Erase long-inactive residents and strip personal text from long-closed tickets."""
    async with deps.sessionmaker() as session, session.begin():
        report = await apply_retention(session, deps.context())
    if report.people_erased or report.tickets_stripped:
        deps.wake_sender()  # erasure refreshes the group cards
    return report


async def purge_handled_updates(deps: JobDeps) -> int:
    async with deps.sessionmaker() as session, session.begin():
        return await inbox.purge_handled(session, deps.clock.now() - HANDLED_UPDATE_RETENTION)


async def sweep_sla_deadlines(deps: JobDeps) -> SweepResult:
    """Warn, escalate and remind for every ticket whose SLA check is due (the sweeper
    wakes the sender after each batch that queued messages)."""
    return await deps.sla_sweeper.run()


async def send_daily_digests(deps: JobDeps) -> int:
    """Queue the daily digest for each staff group once its local time has come."""
    return await queue_and_wake(
        deps, lambda session, ctx: post_daily_digests(session, ctx, deps.quiet_digests)
    )


Job = Callable[[JobDeps], Awaitable[Any]]


def surviving_outages(job: Job, job_id: str) -> Job:
    """``job``, except that an outage ends the run with one log line per outage."""
    outage = Outage(f"job {job_id}")

    @functools.wraps(job)
    async def run(deps: JobDeps) -> Any:
        try:
            result = await job(deps)
        except Exception as error:
            if not is_transient(error):
                raise
            outage.failed(error)  # logged once; the next run is the retry
            return None
        outage.recovered()
        return result

    return run


def register_jobs(
    scheduler: AsyncIOScheduler, deps: JobDeps, sla_sweep_seconds: float, in_hand: JobsInHand
) -> None:
    """The periodic jobs, each counted in ``in_hand`` while it runs."""

    def every(job: Job, job_id: str, **interval: Any) -> None:
        scheduler.add_job(
            in_hand.tracked(surviving_outages(job, job_id)),
            "interval",
            args=[deps],
            id=job_id,
            coalesce=True,
            max_instances=1,
            **interval,
        )

    # Soon after start (not in the middle of it): catch up on what fell due during downtime.
    every(
        sweep_sla_deadlines,
        "sla_sweep",
        seconds=sla_sweep_seconds,
        next_run_time=datetime.now(UTC) + SLA_CATCH_UP_DELAY,
    )
    every(send_daily_digests, "daily_digest", seconds=DIGEST_CHECK_SECONDS)
    every(run_survey_sweep, "survey_sweep", seconds=SURVEY_SWEEP_SECONDS)
    every(report_notice_progress, "notice_progress", seconds=NOTICE_PROGRESS_SECONDS)
    every(apply_data_retention, "data_retention", hours=6)
    every(purge_handled_updates, "purge_handled_updates", hours=1)
