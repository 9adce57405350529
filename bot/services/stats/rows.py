"""The tickets of an export: those opened in the period within the scope, read in one
query with their timings and deadline outcomes computed by the database."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import case, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from bot.services.stats import filters as f
from bot.services.stats.periods import Period
from bot.services.stats.scope import StatsScope
from bot.services.stats.sql import Sql
from storage.models import (
    Building,
    OrgUnit,
    Person,
    PropertyUnit,
    SurveyResponse,
    Ticket,
    TicketKind,
    TicketStatus,
)

MAX_ROWS = 100_000


@dataclass(frozen=True)
class TicketRow:
    number: str
    project: str
    kind: TicketKind
    category_key: str | None
    urgent: bool
    status: TicketStatus
    created_at: datetime
    first_response_due_at: datetime | None
    first_responded_at: datetime | None
    first_response_seconds: float | None
    response_on_time: bool | None
    resolution_due_at: datetime | None
    resolved_at: datetime | None
    resolution_seconds: float | None
    resolution_on_time: bool | None
    closed_at: datetime | None
    reopen_count: int
    response_escalation_level: int
    resolution_escalation_level: int
    assignee: str | None
    unit: str | None
    rating: float | None
    ratings: int
    comment: str | None
    project_key: str = ""  # presentation reads the project's name in its language by it


@dataclass(frozen=True)
class TicketRows:
    rows: list[TicketRow]
    truncated: bool


def _outcome(met, missed):
    return case((met, 1), (missed, 0), else_=None)


def _flag(value) -> bool | None:
    return None if value is None else bool(value)


async def ticket_rows(
    session: AsyncSession, scope: StatsScope, period: Period, now: datetime, limit: int = MAX_ROWS
) -> TicketRows:
    sql = Sql.of(session)
    cohort = (f.in_scope(scope), f.within(Ticket.created_at, period))
    cohort_ids = select(Ticket.id).where(*cohort)
    ratings = (
        select(
            SurveyResponse.ticket_id.label("ticket_id"),
            func.avg(SurveyResponse.score).label("mean"),
            func.count().label("n"),
        )
        .where(
            SurveyResponse.question_key == "rating",
            SurveyResponse.score.is_not(None),
            SurveyResponse.ticket_id.in_(cohort_ids),
        )
        .group_by(SurveyResponse.ticket_id)
        .subquery()
    )
    project = aliased(OrgUnit)
    statement = (
        select(
            Ticket.id,
            Ticket.number,
            project.name.label("project"),
            project.key.label("project_key"),
            Ticket.kind,
            Ticket.category_key,
            Ticket.urgent,
            Ticket.status,
            Ticket.created_at,
            Ticket.first_response_due_at,
            Ticket.first_responded_at,
            sql.seconds(Ticket.first_responded_at, Ticket.created_at).label("response_seconds"),
            _outcome(f.response_met(), f.response_missed(now)).label("response_ok"),
            Ticket.resolution_due_at,
            Ticket.resolved_at,
            sql.seconds(Ticket.resolved_at, Ticket.created_at).label("resolution_seconds"),
            _outcome(f.resolution_met(), f.resolution_missed(now)).label("resolution_ok"),
            Ticket.closed_at,
            Ticket.reopen_count,
            Ticket.response_escalation_level,
            Ticket.resolution_escalation_level,
            Person.full_name.label("assignee"),
            Building.key.label("building"),
            PropertyUnit.key.label("unit"),
            ratings.c.mean,
            ratings.c.n,
        )
        .join(project, project.id == Ticket.project_id)
        .outerjoin(Person, Person.id == Ticket.assignee_id)
        .outerjoin(PropertyUnit, PropertyUnit.id == Ticket.property_unit_id)
        .outerjoin(Building, Building.id == PropertyUnit.building_id)
        .outerjoin(ratings, ratings.c.ticket_id == Ticket.id)
        .where(*cohort)
        .order_by(Ticket.created_at, Ticket.id)
        .limit(limit + 1)
    )
    result = (await session.execute(statement)).all()
    truncated = len(result) > limit
    result = result[:limit]
    comments = dict(
        (
            await session.execute(
                select(SurveyResponse.ticket_id, SurveyResponse.text)
                .where(
                    SurveyResponse.question_key == "comment",
                    SurveyResponse.ticket_id.in_(cohort_ids),
                )
                .order_by(SurveyResponse.id)
            )
        ).all()
    )
    rows = [
        TicketRow(
            number=r.number,
            project=r.project,
            kind=r.kind,
            category_key=r.category_key,
            urgent=r.urgent,
            status=r.status,
            created_at=r.created_at,
            first_response_due_at=r.first_response_due_at,
            first_responded_at=r.first_responded_at,
            first_response_seconds=r.response_seconds,
            response_on_time=_flag(r.response_ok),
            resolution_due_at=r.resolution_due_at,
            resolved_at=r.resolved_at,
            resolution_seconds=r.resolution_seconds,
            resolution_on_time=_flag(r.resolution_ok),
            closed_at=r.closed_at,
            reopen_count=r.reopen_count,
            response_escalation_level=r.response_escalation_level,
            resolution_escalation_level=r.resolution_escalation_level,
            assignee=r.assignee,
            unit=f"{r.building}-{r.unit}" if r.unit is not None else None,
            rating=float(r.mean) if r.mean is not None else None,
            ratings=r.n or 0,
            comment=comments.get(r.id),
            project_key=r.project_key,
        )
        for r in result
    ]
    return TicketRows(rows, truncated)
