"""What a manager asks for with ``/stats`` and ``/export``, and the checked answer.

Arguments come in any order: a period (``today``, ``7d``, ``2026-11``, a range), a
project/region/HQ key (or its exact name), ``text`` (no chart) and ``csv``/``xlsx``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from bot.config.orgfile import Organisation
from bot.services import audit
from bot.services.people import Actor
from bot.services.stats.export import TicketRows, ticket_rows
from bot.services.stats.periods import Period, PeriodError, is_period, parse_period
from bot.services.stats.report import StatsReport, build_report
from bot.services.stats.scope import StatsScope, resolve_scope

DEFAULT_PERIOD = "30d"
VIEW_ACTION = "stats.view"
EXPORT_ACTION = "stats.export"


class ArgumentError(ValueError):
    def __init__(self, argument: str) -> None:
        super().__init__(argument)
        self.argument = argument


@dataclass(frozen=True)
class StatsRequest:
    period: str = DEFAULT_PERIOD
    scope_key: str | None = None
    text_only: bool = False
    csv: bool = False


def parse_arguments(arguments: str | None) -> StatsRequest:
    period: str | None = None
    scope_key: str | None = None
    text_only = as_csv = False
    for token in (arguments or "").split():
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
            raise ArgumentError(token)
    return StatsRequest(period or DEFAULT_PERIOD, scope_key, text_only, as_csv)


def _looks_like_period(word: str) -> bool:
    return word[:1].isdigit()


async def _scope_and_period(
    session: AsyncSession,
    actor: Actor,
    request: StatsRequest,
    org: Organisation,
    now: datetime,
    action: str,
) -> tuple[StatsScope, Period]:
    scope = await resolve_scope(session, actor, request.scope_key, now, action=action)
    try:
        period = parse_period(request.period, now, org.zone())
    except PeriodError:
        raise ArgumentError(request.period) from None
    return scope, period


async def report_for(
    session: AsyncSession, actor: Actor, request: StatsRequest, org: Organisation, now: datetime
) -> StatsReport:
    """The statistics a manager asked for, within their own scope (refusals are audited)."""
    scope, period = await _scope_and_period(session, actor, request, org, now, VIEW_ACTION)
    return await build_report(session, scope, period, now, with_daily=not request.text_only)


async def export_for(
    session: AsyncSession, actor: Actor, request: StatsRequest, org: Organisation, now: datetime
) -> tuple[StatsReport, TicketRows]:
    """The report and the ticket rows of an export; the export itself is audited."""
    scope, period = await _scope_and_period(session, actor, request, org, now, EXPORT_ACTION)
    report = await build_report(
        session, scope, period, now, with_daily=False, with_project_medians=True
    )
    rows = await ticket_rows(session, scope, period, now)
    await audit.record(
        session,
        now,
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
