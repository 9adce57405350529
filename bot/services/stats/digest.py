"""The daily digest: each staff group (project, region, HQ) gets, at the configured
local time, yesterday's figures for its own scope, the tickets overdue now and the
lowest ratings with their comments, and the questionnaire's answers of the day
(dimension averages, NPS, suggestions). A digest with nothing to tell (all zeros) is
not posted.

The scheduler calls :func:`post_daily_digests` every minute; a digest is announced
once per group and day (:func:`digest_key` is its outbox dedup key), so a restart, a
second instance or a late start after downtime never posts it twice, and a bot that
was down at the configured time posts it when it comes back the same day. An empty
digest is not posted, and the group's digest is looked at again on the next runs that
day: it is posted if something falls overdue later that day. Only that can change
(the rest is yesterday's), so the scheduler remembers the groups found empty
(:class:`QuietGroups`) and asks only that of them on the later runs: one count a
group a minute, where the whole digest was a dozen statements.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.services.context import Context
from bot.services.stats import satisfaction as sat
from bot.services.stats import tickets
from bot.services.stats.figures import Satisfaction
from bot.services.stats.notices import DailyDigest
from bot.services.stats.periods import Period
from bot.services.stats.scope import StatsScope, scope_of_unit
from bot.services.stats.self_service import self_service_figures
from storage.models import OrgUnit, OutboxMessage

OVERDUE_LISTED = 10
LOW_RATINGS_LISTED = 5
SUGGESTIONS_LISTED = 5


class QuietGroups:
    """The units whose group's digest was found empty today (kept by the process that
    runs the job; forgotten at the day's end, or by a restart). Only the units: what is
    below each is asked of the organisation as it stands at each run, which
    ``sync-config`` may change during the day."""

    def __init__(self) -> None:
        self._day: date | None = None
        self._units: set[int] = set()

    def on(self, day: date) -> set[int]:
        if day != self._day:
            self._day, self._units = day, set()
        return self._units


def digest_key(unit_key: str, day: date) -> str:
    """Once per group and day: the outbox refuses a second message with this key."""
    return f"digest:{unit_key}:{day.isoformat()}"


async def post_daily_digests(
    session: AsyncSession, ctx: Context, quiet: QuietGroups | None = None
) -> int:
    """Announce today's digest for every bound staff group that has not had it and has
    something to tell; returns how many. ``quiet``: the groups already found empty today
    (kept up to date here), asked only whether something fell overdue since."""
    policy = ctx.org.digest
    zone = ctx.org.zone()
    local_now = ctx.now.astimezone(zone)
    if not policy.enabled or local_now.time() < policy.time_of_day:
        return 0
    today = local_now.date()
    yesterday = Period(today - timedelta(days=1), today - timedelta(days=1), zone)
    quiet_today = (quiet or QuietGroups()).on(today)
    units = (
        await session.scalars(
            select(OrgUnit)
            .where(OrgUnit.active.is_(True), OrgUnit.group_chat_id.is_not(None))
            .order_by(OrgUnit.id)
        )
    ).all()
    posted = 0
    for unit in units:
        if unit.id in quiet_today:
            if not await tickets.overdue_count_below(session, unit.id, ctx.now):
                continue  # still nothing to tell (and so never posted today)
        elif await session.scalar(
            select(OutboxMessage.id).where(OutboxMessage.dedup_key == digest_key(unit.key, today))
        ):
            continue
        scope = await scope_of_unit(session, unit)
        digest = await daily_digest(session, unit, today, yesterday, ctx.now, scope)
        if digest.is_empty:
            quiet_today.add(unit.id)
            continue
        quiet_today.discard(unit.id)
        await ctx.announce(session, digest)
        posted += 1
    return posted


async def daily_digest(
    session: AsyncSession,
    unit: OrgUnit,
    posted_on: date,
    day: Period,
    now: datetime,
    scope: StatsScope | None = None,
) -> DailyDigest:
    """The figures of ``day`` in the unit's scope, and what is overdue ``now``."""
    scope = scope or await scope_of_unit(session, unit)
    ratings = await sat.ratings_by_project_and_assignee(session, scope, day)
    overdue_total, overdue = await tickets.overdue_tickets(
        session, scope, now, limit=OVERDUE_LISTED
    )
    questionnaire, _ = await sat.questionnaire(
        session, scope, day, suggestions_listed=SUGGESTIONS_LISTED
    )
    return DailyDigest(
        unit_id=unit.id,
        posted_on=posted_on,
        day=day,
        scope_name=scope.name,
        volume=(await tickets.volume_slices(session, scope, day, now)).total(),
        satisfaction=sum(ratings.values(), Satisfaction()),
        overdue_total=overdue_total,
        overdue=tuple(overdue),
        low_ratings=tuple(await sat.lowest_ratings(session, scope, day, limit=LOW_RATINGS_LISTED)),
        questionnaire=questionnaire,
        nps=await sat.nps(session, scope, day),
        self_service=await self_service_figures(session, scope, day),
    )
