"""The conditions every ticket metric is built from, written once.

Compliance follows common help-desk practice: a target counts once it has been
met or has passed. ``met`` = done no later than the deadline; ``missed`` = done
after it, or not done and the deadline has passed. While a ticket waits on the
resident its resolution clock is stopped, so an unresolved paused ticket has
missed its target only if the deadline had passed before the pause began.
Cancelled tickets have no targets to keep.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ColumnElement, SQLColumnExpression, and_, case, func, or_, true

from bot.services.stats.periods import Period
from bot.services.stats.scope import StatsScope
from bot.services.stats.sql import at
from storage.models import OrgLevel, Ticket, TicketStatus

OPEN_STATUSES = (
    TicketStatus.NEW,
    TicketStatus.ACKNOWLEDGED,
    TicketStatus.IN_PROGRESS,
    TicketStatus.WAITING_ON_RESIDENT,
)


def count_if(condition: ColumnElement[bool]) -> ColumnElement[int]:
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


def in_scope(scope: StatsScope) -> ColumnElement[bool]:
    """Tickets of the scope, for queries over a time range of one cohort.

    HQ sees every ticket: no condition, so the range is read through the plain time
    index in table order. Below HQ the (project_id, time) indexes serve each project.
    """
    if scope.level is OrgLevel.HQ:
        return true()
    return Ticket.project_id.in_(scope.project_ids)


def open_in_scope(scope: StatsScope) -> ColumnElement[bool]:
    """Open tickets of the scope, found through the (project_id, status) index."""
    return and_(Ticket.project_id.in_(scope.project_ids), is_open())


def joined_in_scope(scope: StatsScope) -> ColumnElement[bool]:
    """The same, for queries that start from answers or events and join their ticket.

    Those queries should range over the answers (or events) of the period and look
    each ticket up by id; HQ sees every ticket, so it needs no condition at all.
    Below HQ, ``project_id + 0`` keeps SQLite's planner from walking every ticket of
    the scope's projects instead (an expression cannot use the index; PostgreSQL
    plans the same either way).
    """
    if scope.level is OrgLevel.HQ:
        return true()
    return (Ticket.project_id + 0).in_(scope.project_ids)


def within(column, period: Period) -> ColumnElement[bool]:
    return and_(column >= at(period.start), column < at(period.end))


def is_open() -> ColumnElement[bool]:
    return Ticket.status.in_(OPEN_STATUSES)


def not_cancelled() -> ColumnElement[bool]:
    return Ticket.status != TicketStatus.CANCELLED


Moment = SQLColumnExpression[datetime | None]


def _met(due: Moment, done: Moment) -> ColumnElement[bool]:
    """Done no later than the deadline."""
    return and_(not_cancelled(), due.is_not(None), done.is_not(None), done <= due)


def _missed(due: Moment, done: Moment, clock: Moment) -> ColumnElement[bool]:
    """Done after the deadline, or not done and the deadline is before ``clock``."""
    return and_(
        not_cancelled(),
        due.is_not(None),
        or_(
            and_(done.is_not(None), done > due),
            and_(done.is_(None), due < clock),
        ),
    )


def response_met() -> ColumnElement[bool]:
    return _met(Ticket.first_response_due_at, Ticket.first_responded_at)


def response_missed(now: datetime) -> ColumnElement[bool]:
    return _missed(Ticket.first_response_due_at, Ticket.first_responded_at, at(now))


def _resolution_clock_stop(now: datetime) -> ColumnElement[datetime]:
    return func.coalesce(Ticket.paused_at, at(now))


def resolution_met() -> ColumnElement[bool]:
    return _met(Ticket.resolution_due_at, Ticket.resolved_at)


def resolution_missed(now: datetime) -> ColumnElement[bool]:
    return _missed(Ticket.resolution_due_at, Ticket.resolved_at, _resolution_clock_stop(now))


def overdue_response_now(now: datetime) -> ColumnElement[bool]:
    return and_(
        is_open(),
        Ticket.first_responded_at.is_(None),
        Ticket.first_response_due_at < at(now),
    )


def overdue_resolution_now(now: datetime) -> ColumnElement[bool]:
    return and_(
        is_open(),
        Ticket.resolved_at.is_(None),
        Ticket.resolution_due_at < _resolution_clock_stop(now),
    )


def overdue_now(now: datetime) -> ColumnElement[bool]:
    return or_(overdue_response_now(now), overdue_resolution_now(now))


def ever_resolved() -> ColumnElement[bool]:
    return or_(Ticket.resolved_at.is_not(None), Ticket.reopen_count > 0)
