"""What a manager asks for with ``/stats`` and ``/export``, and the checked answer.

Arguments come in any order: a period (``today``, ``7d``, ``2026-11``, a range), a
project/region/HQ key (or its exact name), ``text`` (no chart) and ``csv``/``xlsx``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from sqlalchemy.ext.asyncio import AsyncSession

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


async def report_for(
    session: AsyncSession, ctx: Context, actor: Actor, request: StatsRequest
) -> StatsReport:
    """The statistics a manager asked for, within their own scope (refusals are audited)."""
    scope, period = await _scope_and_period(session, ctx, actor, request, "stats")
    return await build_report(session, scope, period, ctx.now, with_daily=not request.text_only)


async def export_for(
    session: AsyncSession, ctx: Context, actor: Actor, request: StatsRequest
) -> tuple[StatsReport, TicketRows]:
    """The report and the ticket rows of an export; the export itself is audited."""
    scope, period = await _scope_and_period(session, ctx, actor, request, "export")
    report = await build_report(
        session,
        scope,
        period,
        ctx.now,
        with_daily=False,
        with_project_medians=True,
        suggestions_listed=MAX_ROWS,
    )
    rows = await ticket_rows(session, scope, period, ctx.now)
    await audit.record(
        session,
        ctx.now,
        actor,
        EXPORT_ACTION,
        org_unit_id=scope.unit_id,
        data={
            "period": period.label(),
            "format": "csv" if request.csv else "xlsx",
            "tickets": len(rows.rows),
        },
    )
    return report, rows
