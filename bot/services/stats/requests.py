"""What a manager asks for with ``/stats`` and ``/export``, and the checked answer.

Arguments come in any order: a period (``today``, ``7d``, ``2026-11``, a range), a
project/region/HQ key (or its exact name), ``text`` (no chart) and ``csv``/``xlsx``.

Who may see what is checked (and refusals audited) in the update's transaction
(:func:`check_request`); the figures are then read in a read-only session of their own
(:func:`report_in`, :func:`export_in`), outside any update, so a report over a million
tickets neither holds a write lock nor keeps other updates waiting.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from datetime import date, datetime
from typing import Literal
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.i18n import N_
from bot.services import audit
from bot.services.context import Context
from bot.services.errors import Refused
from bot.services.people import Actor
from bot.services.stats.periods import (
    Period,
    PeriodError,
    is_period,
    join_period_phrases,
    parse_period,
)
from bot.services.stats.report import StatsReport, build_report
from bot.services.stats.rows import MAX_ROWS, TicketRows, ticket_rows
from bot.services.stats.scope import StatsScope, resolve_scope, scope_of_unit
from storage.models import OrgUnit
from storage.read_only import read_only_sessions
from storage.vocabulary import OrgLevel

DEFAULT_PERIOD = "30d"
WARM_UP_DAY = date(2000, 1, 1)  # before any ticket
VIEW_ACTION = "stats.view"
EXPORT_ACTION = "stats.export"


# What a manager typed wrong, with the command's usage (one wording per command).
NOT_UNDERSTOOD = {
    "stats": N_(
        "I don't understand “{argument}”.\n"
        "Usage: /stats [period] [project or region] [text]\n"
        "Period: today, yesterday, this week, last week, this month, last month, 7d, 30d, "
        "2026-11 or 2026-11-01..2026-11-15 (default 30d)."
    ),
    "export": N_(
        "I don't understand “{argument}”.\n"
        "Usage: /export [period] [project or region] [csv]\n"
        "Period: today, yesterday, this week, last week, this month, last month, 7d, 30d, "
        "2026-11 or 2026-11-01..2026-11-15 (default 30d)."
    ),
}
Command = Literal["stats", "export"]
# Opens this many read-only sessions over the same data
# (``storage.read_only.read_only_sessions`` of the sessionmaker).
Reading = Callable[[int], AbstractAsyncContextManager[tuple[AsyncSession, ...]]]
LANES = 2  # a report's two halves, each read in a session of its own, side by side


def reading_from(sessionmaker: async_sessionmaker[AsyncSession]) -> Reading:
    """Read-only sessions of ``sessionmaker``, outside any update's transaction."""
    return lambda count: read_only_sessions(sessionmaker, count)


class ArgumentError(Refused):
    """An argument that is no period, scope or option (a typing mistake: not audited)."""

    code = "bad_argument"
    audited = False

    def __init__(self, argument: str, command: Command = "stats") -> None:
        super().__init__(NOT_UNDERSTOOD[command], argument=argument)
        self.argument = argument


@dataclass(frozen=True)
class StatsRequest:
    period: str = DEFAULT_PERIOD
    scope_key: str | None = None
    text_only: bool = False
    csv: bool = False


def parse_arguments(arguments: str | None, command: Command = "stats") -> StatsRequest:
    period: str | None = None
    scope_key: str | None = None
    text_only = as_csv = False
    for token in join_period_phrases(arguments or "").split():
        word = token.lower()
        if word == "text":
            text_only = True
        elif word == "csv":
            as_csv = True
        elif word == "xlsx":
            as_csv = False
        elif is_period(word) and period is None:
            period = word
        elif scope_key is None and not _looks_like_period(word):
            scope_key = token
        else:
            raise ArgumentError(token, command)
    return StatsRequest(period or DEFAULT_PERIOD, scope_key, text_only, as_csv)


def _looks_like_period(word: str) -> bool:
    return word[:1].isdigit()


async def _scope_and_period(
    session: AsyncSession, ctx: Context, actor: Actor, request: StatsRequest, command: Command
) -> tuple[StatsScope, Period]:
    action = EXPORT_ACTION if command == "export" else VIEW_ACTION
    scope = await resolve_scope(session, actor, request.scope_key, ctx.now, action=action)
    try:
        period = parse_period(request.period, ctx.now, ctx.org.zone())
    except PeriodError:
        raise ArgumentError(request.period, command) from None
    return scope, period


@dataclass(frozen=True)
class CheckedRequest:
    """A request the manager may make: its scope and period, resolved at ``now``."""

    request: StatsRequest
    scope: StatsScope
    period: Period
    now: datetime


async def check_request(
    session: AsyncSession,
    ctx: Context,
    actor: Actor,
    request: StatsRequest,
    command: Command = "stats",
) -> CheckedRequest:
    """Refuse (and audit) what is beyond the manager's scope; nothing heavy is read."""
    scope, period = await _scope_and_period(session, ctx, actor, request, command)
    return CheckedRequest(request, scope, period, ctx.now)


async def report_in(reading: Reading, checked: CheckedRequest) -> StatsReport:
    """The figures of a checked ``/stats``, read in read-only sessions of their own, the
    report's halves side by side."""
    async with reading(LANES) as (session, beside):
        return await _report(session, checked, beside)


async def _report(
    session: AsyncSession, checked: CheckedRequest, beside: AsyncSession | None = None
) -> StatsReport:
    return await build_report(
        session,
        checked.scope,
        checked.period,
        checked.now,
        with_daily=not checked.request.text_only,
        beside=beside,
    )


async def warm_up(reading: Reading, zone: ZoneInfo, now: datetime) -> int:
    """Build the report once for a unit of each level over a day long past, so that
    SQLAlchemy compiles and caches its statements now (on a process's first report, about
    0.1 s of the event loop's time, in pieces of up to 70 ms that hold other updates up)
    and the first ``/stats`` of the process finds them ready; the database finds nothing
    for that day and answers at once. Returns how many reports were built."""
    day = Period(WARM_UP_DAY, WARM_UP_DAY, zone)
    built = 0
    async with reading(LANES) as (session, beside):
        for unit in await _one_unit_a_level(session):
            scope = await scope_of_unit(session, unit)
            await build_report(session, scope, day, now, beside=beside)
            built += 1
    return built


async def _one_unit_a_level(session: AsyncSession) -> list[OrgUnit]:
    units = await session.scalars(
        select(OrgUnit).where(OrgUnit.active.is_(True)).order_by(OrgUnit.id)
    )
    first: dict[OrgLevel, OrgUnit] = {}
    for unit in units:
        first.setdefault(unit.level, unit)
    return list(first.values())


async def report_for(
    session: AsyncSession, ctx: Context, actor: Actor, request: StatsRequest
) -> StatsReport:
    """The statistics a manager asked for, within their own scope (refusals are audited),
    read in ``session`` itself."""
    return await _report(session, await check_request(session, ctx, actor, request))


async def export_in(reading: Reading, checked: CheckedRequest) -> tuple[StatsReport, TicketRows]:
    """The report and ticket rows of a checked ``/export``, read in read-only sessions
    (the report's halves side by side); :func:`record_export` audits it once made."""
    async with reading(LANES) as (session, beside):
        report = await build_report(
            session,
            checked.scope,
            checked.period,
            checked.now,
            with_daily=False,
            with_project_medians=True,
            suggestions_listed=MAX_ROWS,
            beside=beside,
        )
        rows = await ticket_rows(session, checked.scope, checked.period, checked.now)
    return report, rows


async def record_export(
    session: AsyncSession, actor: Actor, checked: CheckedRequest, rows: TicketRows
) -> None:
    await audit.record(
        session,
        checked.now,
        actor,
        EXPORT_ACTION,
        org_unit_id=checked.scope.unit_id,
        data={
            "period": checked.period.label(),
            "format": "csv" if checked.request.csv else "xlsx",
            "tickets": len(rows.rows),
        },
    )


async def record_export_in(
    sessionmaker: async_sessionmaker[AsyncSession],
    actor: Actor,
    checked: CheckedRequest,
    rows: TicketRows,
) -> None:
    """Audit an export in a short transaction of its own (the export runs after its update)."""
    async with sessionmaker() as session, session.begin():
        await record_export(session, actor, checked, rows)
