"""Exports: an XLSX workbook (tickets with timings and ratings, KPI summary, project
and staff tables) and a CSV of the tickets.

Building the file is plain CPU work on the rows the domain fetched
(``bot.services.stats.rows``): run it in a worker thread.
"""

from __future__ import annotations

import csv
import io
from datetime import datetime
from zoneinfo import ZoneInfo

from bot.config.orgfile import Organisation
from bot.i18n import N_, translate
from bot.presentation.stats.texts import category_label
from bot.presentation.texts import STAFF_STATUS_NAMES, kind_name
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
    N_("First response (min)"),
    N_("Response on time"),
    N_("Resolution due"),
    N_("Resolved at"),
    N_("Resolution (h)"),
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


def _local(moment: datetime | None, zone: ZoneInfo) -> datetime | None:
    return None if moment is None else moment.astimezone(zone).replace(tzinfo=None)


def _round(value: float | None, divisor: float) -> float | None:
    return None if value is None else round(value / divisor, 1)


def _yes_no(locale: str, value: bool | None) -> str:
    if value is None:
        return ""
    return translate(locale, N_("yes") if value else N_("no"))


def _ticket_values(row: TicketRow, org: Organisation, locale: str, zone: ZoneInfo) -> list:
    return [
        row.number,
        row.project,
        kind_name(locale, row.kind),
        category_label(org, locale, row.category_key),
        _yes_no(locale, row.urgent),
        translate(locale, STAFF_STATUS_NAMES[row.status]),
        _local(row.created_at, zone),
        _local(row.first_response_due_at, zone),
        _local(row.first_responded_at, zone),
        _round(row.first_response_seconds, 60),
        _yes_no(locale, row.response_on_time),
        _local(row.resolution_due_at, zone),
        _local(row.resolved_at, zone),
        _round(row.resolution_seconds, 3600),
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


def _hours(seconds: float | None) -> float | None:
    return _round(seconds, 3600)


def summary_rows(report: StatsReport, locale: str) -> list[tuple[str, object]]:
    t = lambda msgid: translate(locale, msgid)  # noqa: E731
    totals = report.totals
    rows: list[tuple[str, object]] = [
        (t(N_("Scope")), report.scope.name),
        (t(N_("Period")), report.period.label()),
        (t(N_("Timezone")), report.period.zone.key),
        (t(N_("Generated at")), _local(report.generated_at, report.period.zone)),
        (t(N_("Opened")), totals.opened),
        (t(N_("Resolved")), totals.resolved),
        (t(N_("Open now")), totals.open_now),
        (t(N_("Overdue now")), totals.overdue_now),
        (t(N_("First response median (h)")), _hours(report.first_response.median)),
        (t(N_("First response 90th percentile (h)")), _hours(report.first_response.p90)),
        (t(N_("Resolution time median (h)")), _hours(report.resolution_time.median)),
        (t(N_("Resolution time 90th percentile (h)")), _hours(report.resolution_time.p90)),
        (t(N_("Response on time (%)")), _pct(totals.response.rate)),
        (t(N_("Responses met")), totals.response.met),
        (t(N_("Responses missed")), totals.response.missed),
        (t(N_("Resolved on time (%)")), _pct(totals.resolution.rate)),
        (t(N_("Resolutions met")), totals.resolution.met),
        (t(N_("Resolutions missed")), totals.resolution.missed),
        (t(N_("Re-open rate (%)")), _pct(totals.reopen_rate)),
        (t(N_("CSAT (%)")), _pct(report.satisfaction.csat)),
        (
            t(N_("Mean rating")),
            None if report.satisfaction.mean is None else round(report.satisfaction.mean, 2),
        ),
        (t(N_("Ratings")), report.satisfaction.ratings),
        (t(N_("NPS")), _pct(report.nps.score)),
        (t(N_("NPS answers")), report.nps.responses),
        (
            t(N_("Ticket surveys answered (%)")),
            _pct(report.response_rates["ticket"].rate),
        ),
        (t(N_("Ticket surveys sent")), report.response_rates["ticket"].sent),
        (
            t(N_("Questionnaires answered (%)")),
            _pct(report.response_rates["campaign"].rate),
        ),
        (t(N_("Questionnaires sent")), report.response_rates["campaign"].sent),
    ]
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
            )
        )
    return rows


def build_xlsx(report: StatsReport, tickets: TicketRows, org: Organisation, locale: str) -> bytes:
    from openpyxl import Workbook

    zone = org.zone()
    t = lambda msgid: translate(locale, msgid)  # noqa: E731
    book = Workbook(write_only=True)

    summary = book.create_sheet(t(N_("Summary")))
    summary.append([t(N_("Figure")), t(N_("Value"))])
    for label, value in summary_rows(report, locale):
        summary.append([label, value])
    if tickets.truncated:
        summary.append([t(N_("Tickets sheet truncated at")), len(tickets.rows)])

    sheet = book.create_sheet(t(N_("Tickets")))
    sheet.append(_headers(locale, TICKET_COLUMNS))
    for row in tickets.rows:
        sheet.append(_ticket_values(row, org, locale, zone))

    if report.projects:
        projects = book.create_sheet(t(N_("Projects")))
        projects.append(
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
                    N_("First response median (h)"),
                    N_("CSAT (%)"),
                    N_("Ratings"),
                ),
            )
        )
        for p in report.projects:
            projects.append(
                [
                    p.name,
                    p.volume.opened,
                    p.volume.resolved,
                    p.volume.open_now,
                    p.volume.overdue_now,
                    _pct(p.volume.response.rate),
                    _pct(p.volume.resolution.rate),
                    _hours(p.first_response.median),
                    _pct(p.satisfaction.csat),
                    p.satisfaction.ratings,
                ]
            )
    staff = book.create_sheet(t(N_("Staff")))
    staff.append(
        _headers(
            locale,
            (
                N_("Name"),
                N_("Handled"),
                N_("First response median (h)"),
                N_("On time (%)"),
                N_("CSAT (%)"),
                N_("Ratings"),
            ),
        )
    )
    for s in report.staff:
        staff.append(
            [
                s.name,
                s.handled,
                _hours(s.first_response.median),
                _pct(s.on_time.rate),
                _pct(s.satisfaction.csat),
                s.satisfaction.ratings,
            ]
        )
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
