"""The questionnaire's dimensions and suggestions reach managers: in the report, the
XLSX export (which is also checked for its layout) and the daily digest, on the
hand-computed world of stats_fixtures (both databases)."""

from __future__ import annotations

import io
from datetime import date, timedelta

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from bot.config.orgfile import load_organisation
from bot.presentation.outbound.digests import digest_text
from bot.presentation.stats.export import build_xlsx
from bot.presentation.stats.texts import render_report
from bot.services.stats.digest import daily_digest
from bot.services.stats.periods import Period, parse_period
from bot.services.stats.report import build_report
from bot.services.stats.rows import ticket_rows
from bot.services.stats.scope import scope_of_unit
from storage.models import OrgUnit
from tests.integration.stats_fixtures import NOW


@pytest.fixture
def org(org_file):
    return load_organisation(org_file)


@pytest.fixture
def period(org):
    return parse_period("7d", NOW, org.zone())


async def _report(sessionmaker, key: str, period, **options):
    async with sessionmaker() as session:
        unit = await session.scalar(select(OrgUnit).where(OrgUnit.key == key))
        return await build_report(
            session, await scope_of_unit(session, unit), period, NOW, **options
        )


def _means(questionnaire) -> dict[str, tuple[int, float | None]]:
    return {d.key: (d.answers, d.mean) for d in questionnaire.dimensions}


async def test_dimension_averages_in_the_order_asked_for_hq(sessionmaker, world, period) -> None:
    report = await _report(sessionmaker, "hq", period)
    questionnaire = report.questionnaire
    # The latest campaign's questions in its order; answers before the period left out.
    assert [d.key for d in questionnaire.dimensions] == ["overall", "cleanliness", "security"]
    assert _means(questionnaire) == {
        "overall": (3, 4.0),
        "cleanliness": (4, 3.0),
        "security": (2, 3.5),
    }
    assert questionnaire.dimension("cleanliness").texts == (
        ("en", "Clean enough?"),
        ("zh", "清洁满意吗？"),
    )  # type: ignore[union-attr]
    assert questionnaire.suggestion_count == 2
    assert [(s.text, s.project_name) for s in questionnaire.suggestions] == [
        ("Longer opening hours for the car park", "星河广场"),
        ("More benches in the garden", "阳光花园"),
    ]
    by_project = {p.key: p.dimensions for p in report.projects}
    assert {k: (d.answers, d.mean) for k, d in by_project["plaza"].items()} == {
        "overall": (1, 3.0),
        "cleanliness": (1, 1.0),
        "security": (1, 4.0),
    }
    assert by_project["sunshine"]["cleanliness"].answers == 3


async def test_a_project_sees_only_the_answers_about_it(sessionmaker, world, period) -> None:
    sunshine = (await _report(sessionmaker, "sunshine", period)).questionnaire
    assert _means(sunshine) == {
        "overall": (2, 4.5),
        "cleanliness": (3, pytest.approx(11 / 3)),
        "security": (1, 3.0),
    }
    assert [s.text for s in sunshine.suggestions] == ["More benches in the garden"]
    plaza = (await _report(sessionmaker, "plaza", period)).questionnaire
    assert _means(plaza)["cleanliness"] == (1, 1.0)
    assert plaza.suggestion_count == 1


async def test_the_report_lists_the_newest_suggestions_and_counts_all(
    sessionmaker, world, period, org
) -> None:
    report = await _report(sessionmaker, "hq", period, suggestions_listed=1)
    assert report.questionnaire.suggestion_count == 2
    assert [s.text for s in report.questionnaire.suggestions] == [
        "Longer opening hours for the car park"
    ]
    text = "\n\n".join(render_report(report, org, "en"))
    assert "<b>Questionnaire</b> (answers in the period, 1–5)" in text
    assert "• Overall satisfaction: 4.0/5 (n=3)" in text
    assert "• Cleanliness: 3.0/5 (n=4)" in text
    assert "• Security and order: 3.5/5 (n=2)" in text
    assert "Suggestions (2):" in text
    assert "· 星河广场 · “Longer opening hours for the car park”" in text
    assert "… and 1 more in /export" in text
    zh = "\n\n".join(render_report(report, org, "zh_CN"))
    assert "• 清洁卫生：3.0/5 分（4 份）" in zh and "建议（2 条）：" in zh


async def test_a_period_without_questionnaire_answers_shows_no_section(
    sessionmaker, world, org
) -> None:
    period = parse_period("2026-11-08", NOW, org.zone())
    report = await _report(sessionmaker, "hq", period)
    assert all(d.answers == 0 for d in report.questionnaire.dimensions)
    assert report.questionnaire.suggestion_count == 0
    assert "Questionnaire</b>" not in "\n".join(render_report(report, org, "en"))


# ------------------------------------------------------------------ the workbook


async def _workbook(sessionmaker, key: str, period, org, locale: str):
    async with sessionmaker() as session:
        unit = await session.scalar(select(OrgUnit).where(OrgUnit.key == key))
        scope = await scope_of_unit(session, unit)
        report = await build_report(
            session, scope, period, NOW, with_daily=False, with_project_medians=True,
            suggestions_listed=100,
        )  # fmt: skip
        rows = await ticket_rows(session, scope, period, NOW)
    return load_workbook(io.BytesIO(build_xlsx(report, rows, org, locale)))


async def test_every_sheet_has_a_bold_frozen_filtered_header_and_sized_columns(
    sessionmaker, world, period, org
) -> None:
    book = await _workbook(sessionmaker, "hq", period, org, "en")
    assert book.sheetnames == ["Summary", "Tickets", "Suggestions", "Projects", "Staff"]
    for sheet in book.worksheets:
        header = next(sheet.iter_rows(min_row=1, max_row=1))
        assert all(cell.font.b for cell in header), sheet.title
        assert sheet.freeze_panes == "A2", sheet.title
        last = header[-1].column_letter
        assert sheet.auto_filter.ref == f"A1:{last}{sheet.max_row}", sheet.title
        for cell in header:
            width = sheet.column_dimensions[cell.column_letter].width
            assert 8 <= width <= 60, (sheet.title, cell.value, width)
            # A header is never cut off (up to the widest allowed column).
            assert width >= min(60, len(str(cell.value))), (sheet.title, cell.value)
    tickets = book["Tickets"]
    widths = {c.value: tickets.column_dimensions[c.column_letter].width for c in tickets[1]}
    assert widths["Comment"] > widths["Urgent"]


async def test_summary_describes_every_figure_and_durations_are_hours_with_decimals(
    sessionmaker, world, period, org
) -> None:
    book = await _workbook(sessionmaker, "hq", period, org, "en")
    rows = list(book["Summary"].iter_rows(values_only=True))
    assert rows[0] == ("Figure", "Value", "What it means")
    described = {figure: (value, meaning) for figure, value, meaning in rows[1:]}
    assert all(meaning for _, meaning in described.values())
    assert described["Cleanliness (mean 1–5)"][0] == 3.0
    assert "4 answers" in described["Cleanliness (mean 1–5)"][1]
    assert "“Clean enough?”" in described["Cleanliness (mean 1–5)"][1]
    assert described["Overall satisfaction (mean 1–5)"][0] == 4.0
    assert described["Suggestions"][0] == 2
    # One unit per duration column, named in the header: hours, never minutes.
    headers = [c.value for sheet in book.worksheets for c in sheet[1]]
    figures = [figure for figure in described]
    timed = [h for h in headers + figures if "response" in h.lower() or "resolution" in h.lower()]
    assert not [h for h in timed if "(min)" in h or "(h)" in h]
    assert "First response (hours)" in headers and "Resolution time (hours)" in headers
    assert described["First response median (hours)"][0] == 1.0  # S1 1 h, P1 1 h, P2 1 h…

    tickets = list(book["Tickets"].iter_rows(values_only=True))
    by_number = {row[0]: dict(zip(tickets[0], row, strict=True)) for row in tickets[1:]}
    s4 = by_number[world.tickets["S4"].number]
    assert s4["First response (hours)"] == 0.5
    suggestions = list(book["Suggestions"].iter_rows(values_only=True))
    assert suggestions[0] == (
        "Answered at",
        "Project",
        "Question asked",
        "Suggestion",
        "Questionnaire",
    )
    assert [(r[1], r[3]) for r in suggestions[1:]] == [
        ("星河广场", "Longer opening hours for the car park"),
        ("阳光花园", "More benches in the garden"),
    ]
    projects = list(book["Projects"].iter_rows(values_only=True))
    plaza = next(
        dict(zip(projects[0], row, strict=True)) for row in projects[1:] if row[0] == "星河广场"
    )
    assert plaza["Cleanliness (mean 1–5)"] == 1.0 and plaza["Security and order (mean 1–5)"] == 4.0
    staff = next(book["Staff"].iter_rows(values_only=True))  # what each staff figure is
    assert staff[1:4] == ("Resolved", "First response median (hours)", "Resolved on time (%)")


async def test_a_two_minute_response_is_not_rounded_to_zero_hours(
    sessionmaker, world, period, org
) -> None:
    async with sessionmaker() as session, session.begin():
        s1 = await session.merge(world.tickets["S1"])
        s1.first_responded_at = s1.created_at + timedelta(minutes=2)
    book = await _workbook(sessionmaker, "sunshine", period, org, "zh_CN")
    assert book.sheetnames[:3] == ["汇总", "工单", "建议"]
    tickets = list(book["工单"].iter_rows(values_only=True))
    header = tickets[0]
    assert "首次响应用时（小时）" in header
    row = next(r for r in tickets[1:] if r[0] == world.tickets["S1"].number)
    assert row[header.index("首次响应用时（小时）")] == pytest.approx(2 / 60, abs=1e-4)
    assert book["汇总"]["C1"].value == "说明"


# ------------------------------------------------------------------ the digest


async def _digest(sessionmaker, org, key: str, day: date):
    async with sessionmaker() as session:
        unit = await session.scalar(select(OrgUnit).where(OrgUnit.key == key))
        return await daily_digest(
            session, unit, day + timedelta(days=1), Period(day, day, org.zone()), NOW
        )


async def test_the_digest_tells_the_days_questionnaire_answers(sessionmaker, world, org) -> None:
    digest = await _digest(sessionmaker, org, "hq", date(2026, 11, 6))
    assert _means(digest.questionnaire)["cleanliness"] == (4, 3.0)
    assert digest.nps.responses == 5 and not digest.is_empty
    text = digest_text(org, NOW, digest, "zh_CN")
    assert "<b>昨日问卷</b> · NPS +40（5 份答卷）" in text
    assert "• 清洁卫生：3.0/5 分（4 份）" in text
    assert "💬 “More benches in the garden”" in text


async def test_a_day_with_nothing_to_tell_is_an_empty_digest(sessionmaker, world, org) -> None:
    plaza = await _digest(sessionmaker, org, "plaza", date(2026, 11, 8))
    assert (plaza.volume.opened, plaza.volume.resolved, plaza.overdue_total) == (0, 0, 0)
    assert plaza.is_empty
    sunshine = await _digest(sessionmaker, org, "sunshine", date(2026, 11, 8))
    assert not sunshine.is_empty  # S3 is overdue now, S2 was rated that day
