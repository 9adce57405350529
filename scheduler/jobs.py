"""Periodic jobs. Each is a few lines that call a service or a storage helper."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from bot.services.privacy.retention import RetentionReport, apply_retention
from bot.services.sla.sweep import SweepResult
from bot.services.stats.digest import post_daily_digests
from scheduler.deps import JobDeps
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
        return await apply_retention(session, deps.context())


async def purge_handled_updates(deps: JobDeps) -> int:
    async with deps.sessionmaker() as session, session.begin():
        return await inbox.purge_handled(session, deps.clock.now() - HANDLED_UPDATE_RETENTION)


async def sweep_sla_deadlines(deps: JobDeps) -> SweepResult:
    """Warn, escalate and remind for every ticket whose SLA check is due."""
    return await deps.sla_sweeper.run()


async def send_daily_digests(deps: JobDeps) -> int:
    """Queue the daily digest for each staff group once its local time has come."""
    async with deps.sessionmaker() as session, session.begin():
        return await post_daily_digests(session, deps.context())


def register_jobs(scheduler: AsyncIOScheduler, deps: JobDeps, sla_sweep_seconds: float) -> None:
    def every(job, job_id: str, **interval) -> None:
        scheduler.add_job(
            job,
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
    every(apply_data_retention, "data_retention", hours=6)
    every(purge_handled_updates, "purge_handled_updates", hours=1)
