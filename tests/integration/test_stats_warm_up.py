"""The report's statements compiled at start (``requests.warm_up``, run by
``Application.start``): the first ``/stats`` of a process then compiles none of the big
ones on the event loop, where each took tens of milliseconds of other updates' time."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from sqlalchemy import event, select

from bot.config.orgfile import load_organisation
from bot.services.stats.periods import parse_period
from bot.services.stats.requests import (
    CheckedRequest,
    StatsRequest,
    reading_from,
    report_in,
    warm_up,
)
from bot.services.stats.scope import scope_of_unit
from storage.models import OrgUnit
from tests.integration.stats_fixtures import NOW

SCOPES = ("hq", "east", "plaza")  # one of each level


async def _first_reports(engine, sessionmaker, zone) -> list[str]:
    """Build ``/stats`` for each scope as the bot does; the statements compiled for it."""
    compiled: list[str] = []

    def note(_conn, _cursor, statement, _params, context, _many) -> None:
        if context.cache_hit is context.dialect.CACHE_MISS:
            compiled.append(statement)

    checked = []
    async with sessionmaker() as session:
        for key in SCOPES:
            unit = await session.scalar(select(OrgUnit).where(OrgUnit.key == key))
            scope = await scope_of_unit(session, unit)
            checked.append(
                CheckedRequest(StatsRequest(), scope, parse_period("30d", NOW, zone), NOW)
            )
    event.listen(engine.sync_engine, "after_cursor_execute", note)
    try:
        for request in checked:
            report = await report_in(reading_from(sessionmaker), request)
            assert report.totals.opened
    finally:
        event.remove(engine.sync_engine, "after_cursor_execute", note)
    return compiled


async def test_after_the_warm_up_the_first_reports_compile_none_of_the_big_statements(
    engine, sessionmaker, world, org_file
) -> None:
    zone = load_organisation(org_file).zone()
    assert await warm_up(reading_from(sessionmaker), zone, NOW) == 3  # HQ, a region, a project
    compiled = await _first_reports(engine, sessionmaker, zone)
    # The cohorts and percentiles (WITH …) run for every report; what is left are small
    # statements a report runs only when the period has data (answers, names).
    assert [statement for statement in compiled if statement.startswith("WITH")] == []
    assert len(compiled) < 10


async def test_without_it_the_first_reports_compile_them(
    engine, sessionmaker, world, org_file
) -> None:
    compiled = await _first_reports(engine, sessionmaker, load_organisation(org_file).zone())
    assert len([statement for statement in compiled if statement.startswith("WITH")]) >= 4
    assert len(compiled) >= 20


async def test_with_no_organisation_yet_there_is_nothing_to_warm(sessionmaker) -> None:
    assert await warm_up(reading_from(sessionmaker), ZoneInfo("Asia/Shanghai"), NOW) == 0
