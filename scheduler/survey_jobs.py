"""The survey sweep: reminders, auto-close, abandoned answers, campaign reminders and
scheduled campaigns. Each item is handled in its own transaction, so one that
fails (or that another instance handled first) does not hold back the rest; an
outage of the database ends the sweep (the next run retries, see ``jobs.py``).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from bot.services.context import Context
from bot.services.surveys import campaigns, post_ticket
from bot.services.surveys.errors import SurveyError
from scheduler.deps import JobDeps
from scheduler.resilience import is_transient

log = logging.getLogger(__name__)


@dataclass
class SweepReport:
    reminded: int = 0
    auto_closed: int = 0
    finished_abandoned: int = 0
    campaign_reminders: int = 0
    campaigns_started: int = 0


async def _each(
    deps: JobDeps,
    ids: list[int],
    step: Callable[[AsyncSession, Context, int], Awaitable[bool | int]],
    what: str,
) -> int:
    done = 0
    try:
        for item in ids:
            try:
                async with deps.sessionmaker() as session, session.begin():
                    done += int(await step(session, deps.context(), item))
            except Exception as error:
                if is_transient(error):
                    raise  # the database is away: the rest waits for the next run
                log.exception(
                    "Survey sweep: %s %s failed; it is retried on the next run", what, item
                )
    finally:
        if done:
            deps.wake_sender()  # what was queued before an outage goes out too
    return done


async def run_survey_sweep(deps: JobDeps) -> SweepReport:
    org, now = deps.organisation, deps.clock.now()
    async with deps.sessionmaker() as session:
        abandoned = await post_ticket.abandoned_invitations(session, org, now)
        to_remind = await post_ticket.invitations_to_remind(session, org, now)
        to_close = await post_ticket.tickets_to_auto_close(session, org, now)
        campaign_ids = await campaigns.campaigns_to_remind(session, now)
    report = SweepReport()
    # Half-finished answers first: a "fixed" given before the deadline closes as fixed.
    report.finished_abandoned = await _each(
        deps, abandoned, post_ticket.finish_abandoned, "abandoned answer"
    )
    report.reminded = await _each(deps, to_remind, post_ticket.send_reminder, "reminder")
    report.auto_closed = await _each(deps, to_close, post_ticket.auto_close, "auto-close of ticket")
    report.campaign_reminders = await _each(
        deps, campaign_ids, campaigns.send_reminders, "reminders of campaign"
    )
    try:
        async with deps.sessionmaker() as session, session.begin():
            started = await campaigns.start_scheduled(session, deps.context())
            report.campaigns_started = int(started is not None)
    except IntegrityError:
        pass  # another instance started this scheduled campaign first
    except SurveyError as error:
        log.warning("Survey sweep: no scheduled campaign: %s", error.reason)
    except Exception as error:
        if is_transient(error):
            raise
        log.exception("Survey sweep: the scheduled campaign failed; retried on the next run")
    if any(vars(report).values()):
        deps.wake_sender()
    return report
