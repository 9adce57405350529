"""One manager's statistics for one scope and period, gathered from the metric queries."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.services.stats import cohorts, tickets
from bot.services.stats import satisfaction as sat
from bot.services.stats.figures import (
    DailyPoint,
    Durations,
    EscalationCount,
    Nps,
    ProjectRow,
    Questionnaire,
    RepeatComplaint,
    ResponseRate,
    Satisfaction,
    StaffRow,
    Volume,
)
from bot.services.stats.periods import Period
from bot.services.stats.scope import StatsScope
from bot.services.stats.self_service import SelfServiceFigures, self_service_figures
from bot.services.stats.staff import staff_rows
from storage.models import OrgUnit

TOP_CATEGORIES = 5
REPEATS_LISTED = 10
SUGGESTIONS_LISTED = 5


@dataclass
class StatsReport:
    scope: StatsScope
    period: Period
    generated_at: datetime
    totals: Volume
    by_kind: dict[str, Volume]
    by_category: dict[str | None, Volume]
    first_response: Durations
    resolution_time: Durations
    escalations: list[EscalationCount]
    satisfaction: Satisfaction
    nps: Nps
    response_rates: dict[str, ResponseRate]  # "ticket" surveys, "campaign" questionnaires
    repeats: list[RepeatComplaint]
    questionnaire: Questionnaire = field(default_factory=Questionnaire)
    projects: list[ProjectRow] = field(default_factory=list)
    staff: list[StaffRow] = field(default_factory=list)
    daily: list[DailyPoint] = field(default_factory=list)
    self_service: SelfServiceFigures = field(default_factory=SelfServiceFigures)

    @property
    def top_categories(self) -> list[tuple[str | None, int]]:
        ranked = sorted(
            ((key, volume.opened) for key, volume in self.by_category.items() if volume.opened),
            key=lambda item: (-item[1], item[0] or "~"),
        )
        return ranked[:TOP_CATEGORIES]


async def build_report(
    session: AsyncSession,
    scope: StatsScope,
    period: Period,
    now: datetime,
    *,
    with_daily: bool = True,
    with_project_medians: bool = False,
    suggestions_listed: int = SUGGESTIONS_LISTED,
    beside: AsyncSession | None = None,
) -> StatsReport:
    """Every figure for the scope and period. The daily series feeds the chart; the
    per-project median first response is for exports (the chat text does not show it);
    ``suggestions_listed`` = how many of the questionnaire's suggestions to read.

    ``beside``: a second session over the same data (``storage.read_only.read_only_sessions``):
    the report's two halves, each about half of its time, are then read side by side."""
    opening = _OpenedHalf(with_daily, with_project_medians and scope.has_many_projects)
    resolving = _ResolvedHalf(with_daily)
    if beside is None:
        await opening.read(session, scope, period, now, suggestions_listed)
        await resolving.read(session, scope, period, now)
    else:
        await _side_by_side(
            opening.read(session, scope, period, now, suggestions_listed),
            resolving.read(beside, scope, period, now),
        )
    opened, resolved = opening.cohort, resolving.cohort
    slices = tickets.assemble(opened, resolved, resolving.open_now)
    first_responses, ratings = opening.first_responses, resolving.ratings
    report = StatsReport(
        scope=scope,
        period=period,
        generated_at=now,
        totals=slices.total(),
        by_kind=slices.by(1),
        by_category=slices.by(2),
        first_response=first_responses["all"].get(None, Durations()),
        resolution_time=resolving.resolution_time,
        escalations=resolving.escalations,
        satisfaction=sum(ratings.values(), Satisfaction()),
        nps=opening.nps,
        response_rates=resolving.response_rates,
        repeats=opening.repeats,
        questionnaire=opening.questionnaire,
        self_service=resolving.self_service,
    )
    if scope.has_many_projects:
        report.projects = await _project_rows(
            session, scope, slices, ratings, first_responses.get("project", {})
        )
        for row in report.projects:
            row.dimensions = opening.dimensions.get(row.project_id, {})
    report.staff = await staff_rows(session, resolved.staff, ratings, first_responses["staff"])
    if with_daily:
        report.daily = tickets.daily_points(period, now, opened, resolved)
    return report


async def _side_by_side(*works: Coroutine[Any, Any, None]) -> None:
    """Run ``works`` at once; when one fails, the others are cancelled (and waited for:
    their sessions are closed right after) and its error is raised as it is."""
    tasks = [asyncio.ensure_future(work) for work in works]
    try:
        await asyncio.gather(*tasks)
    except BaseException:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        raise


@dataclass
class _OpenedHalf:
    """What is read about the tickets opened in the period, and the questionnaires."""

    days: bool
    project_medians: bool
    cohort: cohorts.OpenedCohort = field(init=False)
    first_responses: tickets.FirstResponseGroups = field(init=False)
    questionnaire: Questionnaire = field(init=False)
    dimensions: dict[int, dict[str, sat.Dimension]] = field(init=False)
    nps: Nps = field(init=False)
    repeats: list[RepeatComplaint] = field(init=False)

    async def read(
        self,
        session: AsyncSession,
        scope: StatsScope,
        period: Period,
        now: datetime,
        suggestions_listed: int,
    ) -> None:
        self.cohort = await cohorts.opened_cohort(
            session, scope, period, now, days=self.days, repeats=REPEATS_LISTED
        )
        self.first_responses = await tickets.first_response_times(
            session, scope, period, by_staff=True, by_project=self.project_medians
        )
        self.questionnaire, self.dimensions = await sat.questionnaire(
            session, scope, period, suggestions_listed=suggestions_listed
        )
        self.nps = await sat.nps(session, scope, period)
        self.repeats = await tickets.name_repeats(session, self.cohort.repeats)


@dataclass
class _ResolvedHalf:
    """What is read about the tickets resolved in the period and their ratings, and what
    is open now."""

    days: bool
    cohort: cohorts.ResolvedCohort = field(init=False)
    ratings: dict[tuple[int, int | None], Satisfaction] = field(init=False)
    open_now: dict[cohorts.SliceKey, tuple[int, int]] = field(init=False)
    resolution_time: Durations = field(init=False)
    escalations: list[EscalationCount] = field(init=False)
    response_rates: dict[str, ResponseRate] = field(init=False)
    self_service: SelfServiceFigures = field(init=False)

    async def read(
        self, session: AsyncSession, scope: StatsScope, period: Period, now: datetime
    ) -> None:
        self.cohort = await cohorts.resolved_cohort(session, scope, period, now, days=self.days)
        self.ratings = await sat.ratings_by_project_and_assignee(session, scope, period)
        self.open_now = await tickets.open_now(session, scope, now)
        self.resolution_time = await tickets.resolution_times(session, scope, period)
        self.escalations = await tickets.escalations(session, scope, period)
        self.response_rates = await sat.response_rates(session, scope, period)
        self.self_service = await self_service_figures(session, scope, period)


async def _project_rows(session, scope, slices, ratings, first_responses) -> list[ProjectRow]:
    units = (
        await session.execute(
            select(OrgUnit.id, OrgUnit.key, OrgUnit.name).where(OrgUnit.id.in_(scope.project_ids))
        )
    ).all()
    rows = {unit_id: ProjectRow(unit_id, key, name) for unit_id, key, name in units}
    for project_id, volume in slices.by(0).items():
        rows[project_id].volume = volume
    for (project_id, _assignee), satisfaction in ratings.items():
        row = rows[project_id]
        row.satisfaction = row.satisfaction + satisfaction
    for project_id, durations in first_responses.items():
        rows[int(project_id)].first_response = durations
    return sorted(rows.values(), key=lambda r: (-r.volume.opened, -r.volume.open_now, r.key))
