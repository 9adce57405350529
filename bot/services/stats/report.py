"""One manager's statistics for one scope and period, gathered from the metric queries."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

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
) -> StatsReport:
    """Every figure for the scope and period. The daily series feeds the chart; the
    per-project median first response is for exports (the chat text does not show it);
    ``suggestions_listed`` = how many of the questionnaire's suggestions to read."""
    opened = await cohorts.opened_cohort(
        session, scope, period, now, days=with_daily, repeats=REPEATS_LISTED
    )
    resolved = await cohorts.resolved_cohort(session, scope, period, now, days=with_daily)
    slices = tickets.assemble(opened, resolved, await tickets.open_now(session, scope, now))
    first_responses = await tickets.first_response_times(
        session,
        scope,
        period,
        by_staff=True,
        by_project=with_project_medians and scope.has_many_projects,
    )
    ratings = await sat.ratings_by_project_and_assignee(session, scope, period)
    questionnaire, dimensions = await sat.questionnaire(
        session, scope, period, suggestions_listed=suggestions_listed
    )
    report = StatsReport(
        scope=scope,
        period=period,
        generated_at=now,
        totals=slices.total(),
        by_kind=slices.by(1),
        by_category=slices.by(2),
        first_response=first_responses["all"].get(None, Durations()),
        resolution_time=await tickets.resolution_times(session, scope, period),
        escalations=await tickets.escalations(session, scope, period),
        satisfaction=sum(ratings.values(), Satisfaction()),
        nps=await sat.nps(session, scope, period),
        response_rates=await sat.response_rates(session, scope, period),
        repeats=await tickets.name_repeats(session, opened.repeats),
        questionnaire=questionnaire,
        self_service=await self_service_figures(session, scope, period),
    )
    if scope.has_many_projects:
        report.projects = await _project_rows(
            session, scope, slices, ratings, first_responses.get("project", {})
        )
        for row in report.projects:
            row.dimensions = dimensions.get(row.project_id, {})
    report.staff = await staff_rows(session, resolved.staff, ratings, first_responses["staff"])
    if with_daily:
        report.daily = tickets.daily_points(period, now, opened, resolved)
    return report


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
