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
from datetime import datetime
from typing import Literal

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
from bot.services.stats.scope import StatsScope, resolve_scope
from storage.read_only import read_only_session

DEFAULT_PERIOD = "30d"
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
# Opens a read-only session (``storage.read_only.read_only_session`` of the sessionmaker).
Reading = Callable[[], AbstractAsyncContextManager[AsyncSession]]


def reading_from(sessionmaker: async_sessionmaker[AsyncSession]) -> Reading:
    """Read-only sessions of ``sessionmaker``, outside any update's transaction."""
    return lambda: read_only_session(sessionmaker)


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
    """The figures of a checked ``/stats``, read in a read-only session of their own."""
    async with reading() as session:
        return await _report(session, checked)


async def _report(session: AsyncSession, checked: CheckedRequest) -> StatsReport:
    return await build_report(
        session,
        checked.scope,
        checked.period,
        checked.now,
        with_daily=not checked.request.text_only,
    )


async def report_for(
    session: AsyncSession, ctx: Context, actor: Actor, request: StatsRequest
) -> StatsReport:
    """The statistics a manager asked for, within their own scope (refusals are audited),
    read in ``session`` itself."""
    return await _report(session, await check_request(session, ctx, actor, request))


async def export_in(reading: Reading, checked: CheckedRequest) -> tuple[StatsReport, TicketRows]:
    """The report and ticket rows of a checked ``/export``, read in a read-only session;
    :func:`record_export` audits it once made."""
    async with reading() as session:
        report = await build_report(
            session,
            checked.scope,
            checked.period,
            checked.now,
            with_daily=False,
            with_project_medians=True,
            suggestions_listed=MAX_ROWS,
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
