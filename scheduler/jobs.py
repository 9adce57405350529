"""Periodic jobs. Each is a few lines that call a service or a storage helper."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from bot.services.privacy.retention import RetentionReport, apply_retention
from bot.services.sla.sweep import SweepResult
from bot.services.stats.digest import post_daily_digests
from scheduler.sla_sweep import SlaSweeper
from scheduler.survey_jobs import run_survey_sweep
from storage import inbox

if TYPE_CHECKING:
    from bot.app import Application

# Telegram keeps unconfirmed updates for 24 h; after that a duplicate cannot arrive.
HANDLED_UPDATE_RETENTION = timedelta(days=2)
SLA_CATCH_UP_DELAY = timedelta(seconds=3)
# Survey reminders, auto-close and scheduled questionnaires are looked at every minute.
SURVEY_SWEEP_SECONDS = 60
# The digest job looks every minute whether a group's digest time has come.
DIGEST_CHECK_SECONDS = 60


async def apply_data_retention(app: Application) -> RetentionReport:
    """Erase long-inactive residents and strip personal text from long-closed tickets."""
    assert app.sessionmaker is not None and app.organisation is not None
    async with app.sessionmaker() as session, session.begin():
        return await apply_retention(session, app.organisation, app.clock.now(), app.default_locale)


async def purge_handled_updates(app: Application) -> int:
    assert app.sessionmaker is not None
    async with app.sessionmaker() as session, session.begin():
        return await inbox.purge_handled(session, app.clock.now() - HANDLED_UPDATE_RETENTION)


async def sweep_sla_deadlines(app: Application) -> SweepResult:
    """Warn, escalate and remind for every ticket whose SLA check is due."""
    assert app.sla_sweeper is not None
    return await app.sla_sweeper.run()


async def send_daily_digests(app: Application) -> int:
    """Queue the daily digest for each staff group once its local time has come."""
    assert app.sessionmaker is not None and app.organisation is not None
    async with app.sessionmaker() as session, session.begin():
        return await post_daily_digests(session, app.organisation, app.clock.now())


def register_jobs(scheduler: AsyncIOScheduler, app: Application) -> None:
    assert app.sessionmaker is not None and app.organisation is not None
    app.sla_sweeper = SlaSweeper(
        app.sessionmaker, app.organisation, app.clock, batch_size=app.settings.sla_sweep_batch
    )
    scheduler.add_job(
        sweep_sla_deadlines,
        "interval",
        seconds=app.settings.sla_sweep_interval,
        args=[app],
        id="sla_sweep",
        coalesce=True,
        max_instances=1,
        # Soon after start (not in the middle of it): catch up on what fell due during downtime.
        next_run_time=datetime.now(UTC) + SLA_CATCH_UP_DELAY,
    )
    scheduler.add_job(
        send_daily_digests,
        "interval",
        seconds=DIGEST_CHECK_SECONDS,
        args=[app],
        id="daily_digest",
        coalesce=True,
        max_instances=1,
    )
    scheduler.add_job(
        run_survey_sweep,
        "interval",
        seconds=SURVEY_SWEEP_SECONDS,
        args=[app],
        id="survey_sweep",
        coalesce=True,
        max_instances=1,
    )
    scheduler.add_job(
        apply_data_retention,
        "interval",
        hours=6,
        args=[app],
        id="data_retention",
        coalesce=True,
        max_instances=1,
    )
    scheduler.add_job(
        purge_handled_updates,
        "interval",
        hours=1,
        args=[app],
        id="purge_handled_updates",
        coalesce=True,
        max_instances=1,
    )
