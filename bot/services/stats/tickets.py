"""Ticket metrics, each one aggregate query (grouped rows come back, never tickets).

Cohorts: *opened* = created in the period; *resolved* = (latest) resolution in the
period (both read in one statement each: ``cohorts.py``); *open now* and *overdue
now* = the state at ``now`` whatever the period; first-response times over first
responses given in the period, resolution times over resolutions in the period.
Compliance and re-opens are judged on the tickets opened in the period.
"""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, case, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from bot.services.stats import cohorts
from bot.services.stats import filters as f
from bot.services.stats.cohorts import OpenedCohort, Repeat, ResolvedCohort, SliceKey
from bot.services.stats.figures import (
    Compliance,
    DailyPoint,
    Durations,
    EscalationCount,
    OverdueTicket,
    RepeatComplaint,
    Volume,
)
from bot.services.stats.periods import Period
from bot.services.stats.scope import StatsScope
from bot.services.stats.sql import Sql
from storage.models import (
    Building,
    OrgUnit,
    Person,
    PropertyUnit,
    Ticket,
    TicketEvent,
    TicketEventKind,
)
from storage.vocabulary import OrgLevel


@dataclass
class VolumeSlices:
    """Volume per (project, kind, category); callers sum the slices they need."""

    slices: dict[SliceKey, Volume]

    def total(self) -> Volume:
        total = Volume()
        for volume in self.slices.values():
            _accumulate(total, volume)
        return total

    def by(self, index: int) -> dict[Any, Volume]:
        grouped: dict[Any, Volume] = {}
        for key, volume in self.slices.items():
            _accumulate(grouped.setdefault(key[index], Volume()), volume)
        return grouped


def _accumulate(into: Volume, add: Volume) -> None:
    into.opened += add.opened
    into.resolved += add.resolved
    into.open_now += add.open_now
    into.overdue_now += add.overdue_now
    into.response = into.response + add.response
    into.resolution = into.resolution + add.resolution
    into.reopened += add.reopened
    into.ever_resolved += add.ever_resolved


_SLICE = (Ticket.project_id, Ticket.kind, Ticket.category_key)


async def open_now(
    session: AsyncSession, scope: StatsScope, now: datetime
) -> dict[SliceKey, tuple[int, int]]:
    """Open tickets now and how many of them are overdue, per slice."""
    statement = (
        select(
            *_SLICE,
            func.count().label("open_now"),
            f.count_if(f.overdue_now(now)).label("overdue_now"),
        )
        .where(f.open_in_scope(scope))
        .group_by(*_SLICE)
    )
    return {
        (row.project_id, str(row.kind.value), row.category_key): (row.open_now, row.overdue_now)
        for row in (await session.execute(statement)).all()
    }


def assemble(
    opened: OpenedCohort, resolved: ResolvedCohort, still_open: dict[SliceKey, tuple[int, int]]
) -> VolumeSlices:
    slices: dict[SliceKey, Volume] = {}
    for key, counts in opened.slices.items():
        slices[key] = Volume(
            opened=counts.opened,
            response=counts.response,
            resolution=counts.resolution,
            reopened=counts.reopened,
            ever_resolved=counts.ever_resolved,
        )
    for key, count in resolved.slices.items():
        slices.setdefault(key, Volume()).resolved = count
    for key, (count, overdue) in still_open.items():
        volume = slices.setdefault(key, Volume())
        volume.open_now, volume.overdue_now = count, overdue
    return VolumeSlices(slices)


async def volume_slices(
    session: AsyncSession, scope: StatsScope, period: Period, now: datetime
) -> VolumeSlices:
    """Counts only (no daily series, no repeats): what the daily digest needs."""
    opened = await cohorts.opened_cohort(session, scope, period, now, days=False, repeats=0)
    resolved = await cohorts.resolved_cohort(session, scope, period, now, days=False)
    return assemble(opened, resolved, await open_now(session, scope, now))


def daily_points(
    period: Period, now: datetime, opened: OpenedCohort, resolved: ResolvedCohort
) -> list[DailyPoint]:
    """Per local day up to today: opened, resolved, compliance of the day's tickets."""
    points = []
    for index, day in enumerate(period.days_until(now)):
        counts = opened.days.get(index)
        points.append(
            DailyPoint(
                day=day,
                opened=counts.opened if counts else 0,
                resolved=resolved.days.get(index, 0),
                response=counts.response if counts else Compliance(),
                resolution=counts.resolution if counts else Compliance(),
            )
        )
    return points


# ------------------------------------------------------------------ durations


def first_response_seconds(sql: Sql) -> ColumnElement[float]:
    return sql.seconds(Ticket.first_responded_at, Ticket.created_at)


def resolution_seconds(sql: Sql) -> ColumnElement[float]:
    return sql.seconds(Ticket.resolved_at, Ticket.created_at)


FirstResponseGroups = dict[str, dict[Hashable, Durations]]


async def first_response_times(
    session: AsyncSession,
    scope: StatsScope,
    period: Period,
    *,
    by_staff: bool = False,
    by_project: bool = False,
) -> FirstResponseGroups:
    """First-response times overall (``"all"``), and per assignee / project if asked."""
    groupings: dict[str, Any] = {"all": None}
    if by_staff:
        groupings["staff"] = Ticket.assignee_id
    if by_project:
        groupings["project"] = Ticket.project_id
    sql = Sql.of(session)
    found = await sql.percentiles(
        session,
        first_response_seconds(sql),
        where=[f.in_scope(scope), f.within(Ticket.first_responded_at, period)],
        groupings=groupings,
    )
    return {
        name: {key: Durations(p.count, p.median, p.p90) for key, p in groups.items()}
        for name, groups in found.items()
    }


async def resolution_times(session: AsyncSession, scope: StatsScope, period: Period) -> Durations:
    sql = Sql.of(session)
    found = await sql.percentiles(
        session,
        resolution_seconds(sql),
        where=[f.in_scope(scope), f.within(Ticket.resolved_at, period)],
        groupings={"all": None},
    )
    overall = found["all"].get(None)
    return Durations(overall.count, overall.median, overall.p90) if overall else Durations()


# ------------------------------------------------------------------ escalations, repeats


async def escalations(
    session: AsyncSession, scope: StatsScope, period: Period
) -> list[EscalationCount]:
    """Escalation steps taken in the period, per ladder and level."""
    ladder = TicketEvent.data["ladder"].as_string()
    level = TicketEvent.data["level"].as_integer()
    statement = (
        select(ladder.label("ladder"), level.label("level"), func.count().label("n"))
        .select_from(TicketEvent)
        .join(Ticket, Ticket.id == TicketEvent.ticket_id)
        .where(
            TicketEvent.kind == TicketEventKind.ESCALATED.value,
            f.within(TicketEvent.at, period),
            f.joined_in_scope(scope),
        )
        .group_by(ladder, level)
    )
    rows = (await session.execute(statement)).all()
    return sorted(
        (EscalationCount(row.ladder or "?", int(row.level or 0), row.n) for row in rows),
        key=lambda e: (e.ladder != "response", e.ladder, e.level),
    )


async def name_repeats(session: AsyncSession, repeats: list[Repeat]) -> list[RepeatComplaint]:
    """Put project names and unit labels on the repeat complaints."""
    if not repeats:
        return []
    unit_ids = {repeat.property_unit_id for repeat in repeats}
    labels = {
        unit_id: (project, f"{building}-{unit}", project_key)
        for unit_id, project, building, unit, project_key in (
            await session.execute(
                select(PropertyUnit.id, OrgUnit.name, Building.key, PropertyUnit.key, OrgUnit.key)
                .join(Building, Building.id == PropertyUnit.building_id)
                .join(OrgUnit, OrgUnit.id == Building.project_id)
                .where(PropertyUnit.id.in_(unit_ids))
            )
        ).all()
    }
    named = [
        RepeatComplaint(
            project_name=labels[r.property_unit_id][0],
            unit_label=labels[r.property_unit_id][1],
            category_key=r.category_key,
            tickets=r.tickets,
            project_key=labels[r.property_unit_id][2],
        )
        for r in repeats
        if r.property_unit_id in labels
    ]
    return sorted(named, key=lambda r: (-r.tickets, r.project_name, r.unit_label))


# ------------------------------------------------------------------ overdue list


async def overdue_count(session: AsyncSession, scope: StatsScope, now: datetime) -> int:
    """How many open tickets are past a deadline now."""
    count = await session.scalar(
        select(func.count()).where(f.open_in_scope(scope), f.overdue_now(now))
    )
    return count or 0


async def overdue_count_below(session: AsyncSession, unit_id: int, now: datetime) -> int:
    """How many open tickets are past a deadline now in the projects below the unit (the
    unit itself if it is a project), as the organisation stands now: one statement."""
    project, parent = aliased(OrgUnit), aliased(OrgUnit)
    below = (
        select(project.id)
        .outerjoin(parent, parent.id == project.parent_id)
        .where(
            project.level == OrgLevel.PROJECT,
            or_(project.id == unit_id, project.parent_id == unit_id, parent.parent_id == unit_id),
        )
    )
    count = await session.scalar(
        select(func.count()).where(Ticket.project_id.in_(below), f.is_open(), f.overdue_now(now))
    )
    return count or 0


async def overdue_tickets(
    session: AsyncSession, scope: StatsScope, now: datetime, limit: int = 10
) -> tuple[int, list[OverdueTicket]]:
    """How many open tickets are past a deadline now, and the most overdue of them."""
    total = await overdue_count(session, scope, now)
    missed_due = case(
        (f.overdue_response_now(now), Ticket.first_response_due_at),
        else_=Ticket.resolution_due_at,
    )
    statement = (
        select(
            Ticket.number,
            Ticket.category_key,
            f.overdue_response_now(now).label("response_late"),
            Ticket.first_response_due_at,
            Ticket.resolution_due_at,
            Person.full_name,
        )
        .outerjoin(Person, Person.id == Ticket.assignee_id)
        .where(f.open_in_scope(scope), f.overdue_now(now))
        .order_by(missed_due, Ticket.id)
        .limit(limit)
    )
    found = []
    for number, category, response_late, response_due, resolution_due, name in (
        await session.execute(statement)
    ).all():
        ladder, due = (
            ("response", response_due) if response_late else ("resolution", resolution_due)
        )
        assert due is not None  # overdue: that deadline is set
        found.append(OverdueTicket(number, category, ladder, due, name))
    return int(total or 0), found
