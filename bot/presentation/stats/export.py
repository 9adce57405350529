"""Exports: an XLSX workbook (KPI summary with a description of every figure, tickets
with timings and ratings, the questionnaire's suggestions, project and staff tables)
and a CSV of the tickets.

Every sheet starts with a bold header row, frozen, with an autofilter, and columns as
wide as their contents. Durations are in hours, the unit named in the header, with
their decimals kept (a two-minute response is 0.0333 hours, not 0).

Building the file is plain CPU work on the rows the domain fetched
(``bot.services.stats.rows``): run it in a worker thread.
"""

from __future__ import annotations

import csv
import io
import unicodedata
from collections.abc import Sequence
from datetime import datetime
from zoneinfo import ZoneInfo

from bot.config.orgfile import Organisation
from bot.i18n import N_, NP_, translate, translate_plural
from bot.presentation.stats.self_service import self_service_rows
from bot.presentation.stats.texts import category_label, dimension_name, scope_name
from bot.presentation.texts import STAFF_STATUS_NAMES, kind_name, project_label, zone_name
from bot.services.stats.figures import Dimension
from bot.services.stats.report import StatsReport
from bot.services.stats.rows import TicketRow, TicketRows

TICKET_COLUMNS = (
    N_("Number"),
    N_("Project"),
    N_("Kind"),
    N_("Category"),
    N_("Urgent"),
    N_("Status"),
    N_("Created"),
    N_("First response due"),
    N_("First response at"),
    N_("First response (hours)"),
    N_("Response on time"),
    N_("Resolution due"),
    N_("Resolved at"),
    N_("Resolution time (hours)"),
    N_("Resolved on time"),
    N_("Closed at"),
    N_("Re-opened"),
    N_("Response escalation level"),
    N_("Resolution escalation level"),
    N_("Assignee"),
    N_("Unit"),
    N_("Rating (mean)"),
    N_("Ratings"),
    N_("Comment"),
)
HOUR = 3600.0
DURATION_DECIMALS = 4  # 1 second = 0.0003 hours: nothing real rounds to zero
DATE_FORMAT = "yyyy-mm-dd hh:mm"
MIN_WIDTH, MAX_WIDTH = 8, 60
WIDTH_SAMPLE = 1000  # rows looked at to size the columns


def _local(moment: datetime | None, zone: ZoneInfo) -> datetime | None:
    return None if moment is None else moment.astimezone(zone).replace(tzinfo=None)


def hours(seconds: float | None) -> float | None:
    """Seconds as hours, decimals kept."""
    return None if seconds is None else round(seconds / HOUR, DURATION_DECIMALS)


def _yes_no(locale: str, value: bool | None) -> str:
    if value is None:
        return ""
    return translate(locale, N_("yes") if value else N_("no"))


def _ticket_values(row: TicketRow, org: Organisation, locale: str, zone: ZoneInfo) -> list:
    return [
        row.number,
        project_label(org, locale, row.project_key, row.project),
        kind_name(locale, row.kind),
        category_label(org, locale, row.category_key),
        _yes_no(locale, row.urgent),
        translate(locale, STAFF_STATUS_NAMES[row.status]),
        _local(row.created_at, zone),
        _local(row.first_response_due_at, zone),
        _local(row.first_responded_at, zone),
        hours(row.first_response_seconds),
        _yes_no(locale, row.response_on_time),
        _local(row.resolution_due_at, zone),
        _local(row.resolved_at, zone),
        hours(row.resolution_seconds),
        _yes_no(locale, row.resolution_on_time),
        _local(row.closed_at, zone),
        row.reopen_count,
        row.response_escalation_level,
        row.resolution_escalation_level,
        row.assignee or "",
        row.unit or "",
        None if row.rating is None else round(row.rating, 2),
        row.ratings,
        row.comment or "",
    ]


def _headers(locale: str, names) -> list[str]:
    return [translate(locale, name) for name in names]


def build_csv(tickets: TicketRows, org: Organisation, locale: str) -> bytes:
    """The tickets as CSV (UTF-8 with a byte-order mark, so spreadsheets read Chinese)."""
    zone = org.zone()
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(_headers(locale, TICKET_COLUMNS))
    for row in tickets.rows:
        values = _ticket_values(row, org, locale, zone)
        writer.writerow(
            [v.strftime("%Y-%m-%d %H:%M") if isinstance(v, datetime) else v for v in values]
        )
    return buffer.getvalue().encode("utf-8-sig")


def _pct(value: float | None) -> float | None:
    return None if value is None else round(value, 1)


def _mean(value: float | None) -> float | None:
    return None if value is None else round(value, 2)


# (figure, its description) → the value; descriptions are the Summary's third column.
SummaryRow = tuple[str, object, str]


def summary_rows(
    report: StatsReport, locale: str, org: Organisation | None = None
) -> list[SummaryRow]:
    """Every KPI of the report: (figure, value, what it means)."""
    totals, satisfaction = report.totals, report.satisfaction
    ticket_surveys, questionnaires = (
        report.response_rates["ticket"],
        report.response_rates["campaign"],
    )
    figures: list[tuple[str, object, str]] = [
        (
            N_("Scope"),
            scope_name(report, org, locale),
            N_("The project, region or HQ the figures cover."),
        ),
        (N_("Period"), report.period.label(),
         N_("Whole local days, the first and the last included.")),
        (N_("Timezone"), zone_name(report.period.zone, locale),
         N_("Every time in this file is a local time of this zone.")),
        (N_("Generated at"), _local(report.generated_at, report.period.zone),
         N_("When this file was made.")),
        (N_("Opened"), totals.opened, N_("Tickets created in the period.")),
        (N_("Resolved"), totals.resolved,
         N_("Tickets resolved in the period (a re-opened ticket counts when resolved again).")),
        (N_("Open now"), totals.open_now,
         N_("Tickets new, taken, in progress or waiting on the resident when the file was made.")),
        (N_("Overdue now"), totals.overdue_now,
         N_("Open tickets past their first-response or resolution deadline now.")),
        (N_("First response median (hours)"), hours(report.first_response.median),
         N_("Half of the first responses given in the period came within this time "
            "of the ticket's creation.")),
        (N_("First response 90th percentile (hours)"), hours(report.first_response.p90),
         N_("Nine in ten first responses given in the period came within this time.")),
        (N_("Resolution time median (hours)"), hours(report.resolution_time.median),
         N_("Half of the tickets resolved in the period were resolved within this time "
            "of their creation.")),
        (N_("Resolution time 90th percentile (hours)"), hours(report.resolution_time.p90),
         N_("Nine in ten tickets resolved in the period were resolved within this time.")),
        (N_("Response on time (%)"), _pct(totals.response.rate),
         N_("Of the tickets opened in the period whose response deadline is decided, "
            "the share answered in time.")),
        (N_("Responses met"), totals.response.met,
         N_("Tickets opened in the period that were answered by the deadline.")),
        (N_("Responses missed"), totals.response.missed,
         N_("Tickets opened in the period answered late, or still unanswered past the deadline.")),
        (N_("Resolved on time (%)"), _pct(totals.resolution.rate),
         N_("Of the tickets opened in the period whose resolution deadline is decided, "
            "the share resolved in time.")),
        (N_("Resolutions met"), totals.resolution.met,
         N_("Tickets opened in the period that were resolved by the deadline.")),
        (N_("Resolutions missed"), totals.resolution.missed,
         N_("Tickets opened in the period resolved late, or still unresolved past the deadline.")),
        (N_("Re-open rate (%)"), _pct(totals.reopen_rate),
         N_("Of the tickets opened in the period and resolved at least once, "
            "the share re-opened.")),
        (N_("CSAT (%)"), _pct(satisfaction.csat),
         N_("Share of the ticket ratings (1–5) given in the period that are 4 or 5.")),
        (N_("Mean rating"), _mean(satisfaction.mean),
         N_("Mean of the ticket ratings (1–5) given in the period.")),
        (N_("Ratings"), satisfaction.ratings,
         N_("Ticket ratings given in the period, followers' included.")),
        (N_("NPS"), _pct(report.nps.score),
         N_("The questionnaire's recommendation question (0–10): the share of 9–10 minus "
            "the share of 0–6, in points from −100 to +100.")),
        (N_("NPS answers"), report.nps.responses,
         N_("Answers to the recommendation question given in the period.")),
        (N_("Ticket surveys answered (%)"), _pct(ticket_surveys.rate),
         N_("Of the surveys after resolved tickets sent in the period, the share answered.")),
        (N_("Ticket surveys sent"), ticket_surveys.sent,
         N_("Surveys after resolved tickets sent in the period.")),
        (N_("Questionnaires answered (%)"), _pct(questionnaires.rate),
         N_("Of the questionnaires sent in the period, the share with at least one answer.")),
        (N_("Questionnaires sent"), questionnaires.sent,
         N_("Questionnaire invitations sent in the period.")),
    ]  # fmt: skip
    rows: list[SummaryRow] = [
        (translate(locale, label), value, translate(locale, description))
        for label, value, description in figures
    ]
    rows += self_service_rows(report.self_service, locale)
    for dimension in report.questionnaire.dimensions:
        rows.append(_dimension_row(dimension, locale, org))
    rows.append(
        (
            translate(locale, N_("Suggestions")),
            report.questionnaire.suggestion_count,
            translate(
                locale,
                N_("Free-text answers to the questionnaire in the period (sheet Suggestions)."),
            ),
        )
    )
    for escalation in report.escalations:
        rows.append(
            (
                translate(
                    locale,
                    N_("Escalations: {ladder} level {level}"),
                    ladder=translate(locale, escalation.ladder),
                    level=escalation.level,
                ),
                escalation.count,
                translate(locale, N_("Escalation steps taken in the period at this level.")),
            )
        )
    return rows


def _dimension_title(org: Organisation | None, locale: str, dimension: Dimension) -> str:
    name = dimension_name(org, locale, dimension) if org else dimension.key
    return translate(locale, N_("{name} (mean 1–5)"), name=name)


def _dimension_row(dimension: Dimension, locale: str, org: Organisation | None) -> SummaryRow:
    asked = dict(dimension.texts)
    question = asked.get("zh" if locale.startswith("zh") else "en") or dimension.key
    return (
        _dimension_title(org, locale, dimension),
        _mean(dimension.mean),
        translate_plural(
            locale,
            NP_(
                "Questionnaire: mean of the {count} answer (1–5) in the period to “{question}”",
                "Questionnaire: mean of the {count} answers (1–5) in the period to “{question}”",
            ),
            dimension.answers,
            count=dimension.answers,
            question=question,
        ),
    )


# ------------------------------------------------------------------ sheets


def _display_width(value: object) -> int:
    if value is None:
        return 0
    if isinstance(value, datetime):
        return 16
    if isinstance(value, float):
        text = f"{value:.4f}".rstrip("0").rstrip(".")
    else:
        text = str(value)
    line = max(text.split("\n"), key=len) if text else ""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in line)


def column_widths(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> list[float]:
    """Each column as wide as its header and (a sample of) its values, within bounds."""
    widths = [_display_width(header) for header in headers]
    for row in rows[:WIDTH_SAMPLE]:
        for index, value in enumerate(row):
            widths[index] = max(widths[index], _display_width(value))
    return [float(min(MAX_WIDTH, max(MIN_WIDTH, width + 2))) for width in widths]


def _write_sheet(book, title: str, headers: Sequence[str], rows: Sequence[Sequence[object]]):
    """A sheet with a bold, frozen, filterable header row and sized columns."""
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    sheet = book.create_sheet(title)
    for index, width in enumerate(column_widths(headers, rows), start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width
    sheet.freeze_panes = "A2"
    bold, fill = Font(bold=True), PatternFill("solid", fgColor="DDEBF7")
    header_cells = []
    for header in headers:
        cell = WriteOnlyCell(sheet, value=header)
        cell.font, cell.fill = bold, fill
        cell.alignment = Alignment(vertical="center")
        header_cells.append(cell)
    sheet.append(header_cells)
    dated = [i for i, v in enumerate(rows[0]) if isinstance(v, datetime)] if rows else []
    for row in rows:
        values: list[object] = list(row)
        for index in dated:
            if isinstance(values[index], datetime):
                cell = WriteOnlyCell(sheet, value=values[index])
                cell.number_format = DATE_FORMAT
                values[index] = cell
        sheet.append(values)
    last = get_column_letter(len(headers))
    sheet.auto_filter.ref = f"A1:{last}{len(rows) + 1}"
    return sheet


def build_xlsx(report: StatsReport, tickets: TicketRows, org: Organisation, locale: str) -> bytes:
    from openpyxl import Workbook

    zone = org.zone()

    def t(msgid: str) -> str:
        return translate(locale, msgid)

    book = Workbook(write_only=True)
    summary = [list(row) for row in summary_rows(report, locale, org)]
    if tickets.truncated:
        summary.append(
            [
                t(N_("Tickets sheet truncated at")),
                len(tickets.rows),
                t(N_("Only this many tickets fit in one file; ask for a shorter period.")),
            ]
        )
    _write_sheet(
        book, t(N_("Summary")), [t(N_("Figure")), t(N_("Value")), t(N_("What it means"))], summary
    )
    _write_sheet(
        book,
        t(N_("Tickets")),
        _headers(locale, TICKET_COLUMNS),
        [_ticket_values(row, org, locale, zone) for row in tickets.rows],
    )
    questionnaire = report.questionnaire
    _write_sheet(
        book,
        t(N_("Suggestions")),
        _headers(
            locale,
            (
                N_("Answered at"),
                N_("Project"),
                N_("Question asked"),
                N_("Suggestion"),
                N_("Questionnaire"),
            ),
        ),
        [
            [
                _local(s.answered_at, zone),
                project_label(org, locale, s.project_key, s.project_name or ""),
                s.question_key,
                s.text,
                s.campaign_key,
            ]
            for s in questionnaire.suggestions
        ],
    )
    dimensions = [d for d in questionnaire.dimensions if d.answers]
    if report.projects:
        _write_sheet(
            book,
            t(N_("Projects")),
            _headers(
                locale,
                (
                    N_("Project"),
                    N_("Opened"),
                    N_("Resolved"),
                    N_("Open now"),
                    N_("Overdue now"),
                    N_("Response on time (%)"),
                    N_("Resolved on time (%)"),
                    N_("First response median (hours)"),
                    N_("CSAT (%)"),
                    N_("Ratings"),
                ),
            )
            + [_dimension_title(org, locale, d) for d in dimensions],
            [
                [
                    project_label(org, locale, p.key, p.name),
                    p.volume.opened,
                    p.volume.resolved,
                    p.volume.open_now,
                    p.volume.overdue_now,
                    _pct(p.volume.response.rate),
                    _pct(p.volume.resolution.rate),
                    hours(p.first_response.median),
                    _pct(p.satisfaction.csat),
                    p.satisfaction.ratings,
                ]
                + [_mean(_project_mean(p.dimensions, d.key)) for d in dimensions]
                for p in report.projects
            ],
        )
    _write_sheet(
        book,
        t(N_("Staff")),
        _headers(
            locale,
            (
                N_("Name"),
                N_("Resolved"),
                N_("First response median (hours)"),
                N_("Resolved on time (%)"),
                N_("CSAT (%)"),
                N_("Ratings"),
            ),
        ),
        [
            [
                s.name,
                s.handled,
                hours(s.first_response.median),
                _pct(s.on_time.rate),
                _pct(s.satisfaction.csat),
                s.satisfaction.ratings,
            ]
            for s in report.staff
        ],
    )
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _project_mean(dimensions: dict[str, Dimension], key: str) -> float | None:
    found = dimensions.get(key)
    return found.mean if found else None
