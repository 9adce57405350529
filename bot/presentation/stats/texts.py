"""The statistics as a chat message (HTML), in the reader's language."""

from __future__ import annotations

import html

from bot.config.orgfile import Organisation
from bot.i18n import N_, NP_, listed, translate, translate_plural
from bot.presentation.stats.self_service import self_service_lines
from bot.presentation.texts import (
    category_name,
    kind_name,
    labelled,
    project_label,
    unit_label,
    with_aside,
    zone_name,
)
from bot.services.stats.figures import (
    Compliance,
    Dimension,
    Durations,
    ProjectRow,
    ResponseRate,
    Satisfaction,
    StaffRow,
    Suggestion,
    Volume,
)
from bot.services.stats.report import StatsReport
from storage.models import OrgLevel, TicketKind

MESSAGE_LIMIT = 4096
TABLE_ROWS = 10
DASH = "–"

LADDER_NAMES = {"response": N_("response"), "resolution": N_("resolution")}
SUGGESTION_CHARS = 200

# Short names of the shipped questionnaire's rating questions (appendix B); a question
# an organisation adds is named by its own text.
DIMENSION_NAMES = {
    "overall": N_("Overall satisfaction"),
    "cleanliness": N_("Cleanliness"),
    "security": N_("Security and order"),
    "repairs": N_("Repairs and maintenance"),
    "staff_attitude": N_("Staff attitude"),
    "communication": N_("Communication"),
}


def dimension_name(org: Organisation, locale: str, dimension: Dimension) -> str:
    """A short name for a questionnaire dimension, in the reader's language."""
    if dimension.key in DIMENSION_NAMES:
        return translate(locale, DIMENSION_NAMES[dimension.key])
    for question in org.survey.questions:
        if question.key == dimension.key:
            return question.text.get(locale)
    asked = dict(dimension.texts)
    language = "zh" if locale.startswith("zh") else "en"
    return asked.get(language) or asked.get("zh") or asked.get("en") or dimension.key


def mean_text(locale: str, dimension: Dimension) -> str:
    if dimension.mean is None:
        return DASH
    return translate(
        locale, N_("{mean}/5 (n={count})"), mean=f"{dimension.mean:.1f}", count=dimension.answers
    )


def suggestion_text(text: str, limit: int = SUGGESTION_CHARS) -> str:
    """A resident's words, on one line, shortened, safe for HTML."""
    words = " ".join(text.split())
    if len(words) > limit:
        words = words[: limit - 1] + "…"
    return html.escape(words)


def pct(value: float | None) -> str:
    return DASH if value is None else f"{value:.0f}%"


def duration(locale: str, seconds: float | None) -> str:
    """A length of time for people: minutes, hours or days."""
    if seconds is None:
        return DASH
    minutes = seconds / 60
    if minutes < 60:
        return translate(locale, N_("{n} min"), n=f"{minutes:.0f}")
    hours = minutes / 60
    if hours < 48:
        return translate(locale, N_("{n} h"), n=_short(hours))
    return translate(locale, N_("{n} d"), n=_short(hours / 24))


def _short(value: float) -> str:
    text = f"{value:.1f}"
    return text[:-2] if text.endswith(".0") else text


def category_label(org: Organisation, locale: str, key: str | None) -> str:
    if key is None:
        return translate(locale, N_("no category"))
    return category_name(org, locale, key)


def scope_name(report: StatsReport, org: Organisation | None, locale: str) -> str:
    """The scope's name as people of ``locale`` read it (its ``name_en`` for English)."""
    if org is None:
        return report.scope.name
    return unit_label(org, locale, report.scope.unit_key, report.scope.name)


def scope_title(report: StatsReport, org: Organisation | None = None, locale: str = "") -> str:
    return html.escape(scope_name(report, org, locale))


def compliance_text(locale: str, compliance: Compliance) -> str:
    return translate(
        locale,
        N_("{rate} ({met} of {decided})"),
        rate=pct(compliance.rate),
        met=compliance.met,
        decided=compliance.decided,
    )


def rate_text(locale: str, rate: ResponseRate) -> str:
    return translate(
        locale,
        N_("{rate} ({answered} of {sent})"),
        rate=pct(rate.rate),
        answered=rate.answered,
        sent=rate.sent,
    )


def csat_text(locale: str, satisfaction: Satisfaction) -> str:
    if not satisfaction.ratings:
        return DASH
    return translate_plural(
        locale,
        NP_("{csat} ({count} rating, mean {mean}/5)", "{csat} ({count} ratings, mean {mean}/5)"),
        satisfaction.ratings,
        csat=pct(satisfaction.csat),
        count=satisfaction.ratings,
        mean=f"{satisfaction.mean:.1f}",
    )


def durations_text(locale: str, durations: Durations) -> str:
    if not durations.count:
        return DASH
    return translate(
        locale,
        N_("median {median} · 90th percentile {p90} (n={count})"),
        median=duration(locale, durations.median),
        p90=duration(locale, durations.p90),
        count=durations.count,
    )


def volume_text(locale: str, volume: Volume) -> str:
    return translate(
        locale,
        N_("opened {opened} · resolved {resolved} · open {open_now}"),
        opened=volume.opened,
        resolved=volume.resolved,
        open_now=volume.open_now,
    )


def render_report(report: StatsReport, org: Organisation, locale: str) -> list[str]:
    """The report as one or more messages (each within Telegram's 4096 characters)."""
    t = lambda msgid, **values: translate(locale, msgid, **values)  # noqa: E731
    totals = report.totals
    sections: list[list[str]] = []
    sections.append(
        [
            t(N_("📊 <b>Statistics · {scope}</b>"), scope=scope_title(report, org, locale)),
            t(
                N_("Period: {period} ({zone})"),
                period=report.period.label(),
                zone=zone_name(report.period.zone, locale),
            ),
        ]
    )
    tickets = [
        t(N_("<b>Tickets</b>")),
        t(
            N_(
                "Opened {opened} · resolved {resolved} · open now {open_now} · "
                "overdue now {overdue}"
            ),
            opened=totals.opened,
            resolved=totals.resolved,
            open_now=totals.open_now,
            overdue=totals.overdue_now,
        ),
    ]
    for kind in TicketKind:
        volume = report.by_kind.get(kind.value)
        if volume and (volume.opened or volume.resolved or volume.open_now):
            tickets.append(
                "• "
                + labelled(
                    locale, html.escape(kind_name(locale, kind)), volume_text(locale, volume)
                )
            )
    sections.append(tickets)

    top = report.top_categories
    if top:
        lines = [t(N_("<b>Top categories</b>"))]
        for key, opened in top:
            volume = report.by_category[key]
            share = pct(100.0 * opened / totals.opened if totals.opened else None)
            name = with_aside(locale, html.escape(category_label(org, locale, key)), share)
            lines.append("• " + labelled(locale, name, volume_text(locale, volume)))
        sections.append(lines)

    escalations = listed(
        locale,
        (
            t(
                N_("{ladder} L{level} ×{count}"),
                ladder=t(LADDER_NAMES.get(e.ladder, e.ladder)),
                level=e.level,
                count=e.count,
            )
            for e in report.escalations
        ),
    )
    sections.append(
        [
            t(N_("<b>Speed and deadlines</b>")),
            t(N_("First response: {text}"), text=durations_text(locale, report.first_response)),
            t(N_("Resolution time: {text}"), text=durations_text(locale, report.resolution_time)),
            t(N_("Response on time: {text}"), text=compliance_text(locale, totals.response)),
            t(N_("Resolved on time: {text}"), text=compliance_text(locale, totals.resolution)),
            t(N_("Escalations: {text}"), text=escalations or "0"),
            t(
                N_("Re-opened: {rate} ({reopened} of {resolved})"),
                rate=pct(totals.reopen_rate),
                reopened=totals.reopened,
                resolved=totals.ever_resolved,
            ),
        ]
    )
    nps = report.nps
    sections.append(
        [
            t(N_("<b>Satisfaction</b>")),
            t(N_("CSAT: {text}"), text=csat_text(locale, report.satisfaction)),
            translate_plural(
                locale,
                NP_("NPS: {score} ({count} answer)", "NPS: {score} ({count} answers)"),
                nps.responses,
                score=DASH if nps.score is None else f"{nps.score:+.0f}",
                count=nps.responses,
            ),
            t(
                N_("Surveys answered: after tickets {tickets} · questionnaires {questionnaires}"),
                tickets=rate_text(locale, report.response_rates["ticket"]),
                questionnaires=rate_text(locale, report.response_rates["campaign"]),
            ),
        ]
    )
    questionnaire = _questionnaire_lines(report, org, locale)
    if questionnaire:
        sections.append(questionnaire)
    self_service = self_service_lines(report.self_service, locale)
    if self_service:
        sections.append(self_service)
    if report.repeats:
        lines = [t(N_("<b>Repeat complaints</b> (same unit, same category)"))]
        for repeat in report.repeats:
            where = repeat.unit_label
            if report.scope.level is not OrgLevel.PROJECT:
                project = project_label(org, locale, repeat.project_key, repeat.project_name)
                where = f"{project} {where}"
            lines.append(
                f"• {html.escape(where)} · "
                f"{html.escape(category_label(org, locale, repeat.category_key))} ×{repeat.tickets}"
            )
        sections.append(lines)
    if report.projects:
        sections.append(
            _table(
                locale,
                N_("<b>Projects</b>"),
                [
                    (project_label(org, locale, p.key, p.name), _project_line(locale, p))
                    for p in report.projects
                ],
            )
        )
    if report.staff:
        sections.append(
            _table(
                locale,
                N_("<b>Staff</b>"),
                [(s.name, _staff_line(locale, s)) for s in report.staff],
            )
        )
    return pack_messages(["\n".join(lines) for lines in sections])


def _questionnaire_lines(report: StatsReport, org: Organisation, locale: str) -> list[str]:
    """The questionnaire's averages per dimension and its newest suggestions."""
    answered = [d for d in report.questionnaire.dimensions if d.answers]
    count = report.questionnaire.suggestion_count
    if not answered and not count:
        return []
    lines = [translate(locale, N_("<b>Questionnaire</b> (answers in the period, 1–5)"))]
    for dimension in answered:
        name = html.escape(dimension_name(org, locale, dimension))
        lines.append("• " + labelled(locale, name, mean_text(locale, dimension)))
    if count:
        lines.append(translate(locale, N_("Suggestions ({count}):"), count=count))
        lines += [
            _suggestion_line(org, locale, report, suggestion)
            for suggestion in report.questionnaire.suggestions
        ]
        more = count - len(report.questionnaire.suggestions)
        if more > 0:
            lines.append(translate(locale, N_("… and {count} more in /export"), count=more))
    return lines


def _suggestion_line(
    org: Organisation, locale: str, report: StatsReport, suggestion: Suggestion
) -> str:
    day = suggestion.answered_at.astimezone(report.period.zone).strftime("%m-%d")
    where = ""
    if report.scope.has_many_projects and suggestion.project_name:
        project = project_label(org, locale, suggestion.project_key, suggestion.project_name)
        where = f" · {html.escape(project)}"
    return f"• {day}{where} · “{suggestion_text(suggestion.text)}”"


def _table(locale: str, title: str, rows: list[tuple[str, str]]) -> list[str]:
    """A titled list of at most ``TABLE_ROWS`` rows; the rest are in /export."""
    lines = [translate(locale, title)]
    lines += ["• " + labelled(locale, html.escape(name), text) for name, text in rows[:TABLE_ROWS]]
    if len(rows) > TABLE_ROWS:
        lines.append(
            translate(locale, N_("… and {count} more in /export"), count=len(rows) - TABLE_ROWS)
        )
    return lines


def _project_line(locale: str, row: ProjectRow) -> str:
    return translate(
        locale,
        N_(
            "opened {opened} · resolved {resolved} · open {open_now} · "
            "overdue {overdue} · response {response} · resolution {resolution} · "
            "CSAT {csat}"
        ),
        opened=row.volume.opened,
        resolved=row.volume.resolved,
        open_now=row.volume.open_now,
        overdue=row.volume.overdue_now,
        response=pct(row.volume.response.rate),
        resolution=pct(row.volume.resolution.rate),
        csat=pct(row.satisfaction.csat),
    )


def _staff_line(locale: str, row: StaffRow) -> str:
    return translate(
        locale,
        N_(
            "resolved {handled} ({on_time} on time) · first response {first_response} · CSAT {csat}"
        ),
        handled=row.handled,
        first_response=duration(locale, row.first_response.median),
        on_time=pct(row.on_time.rate),
        csat=pct(row.satisfaction.csat),
    )


def pack_messages(sections: list[str], limit: int = MESSAGE_LIMIT) -> list[str]:
    """Join sections with blank lines into as few messages as fit; never split a line."""
    messages: list[str] = []
    current = ""
    for section in sections:
        for piece in _fit(section, limit):
            candidate = f"{current}\n\n{piece}" if current else piece
            if len(candidate) <= limit:
                current = candidate
            else:
                messages.append(current)
                current = piece
    if current:
        messages.append(current)
    return messages


def _fit(section: str, limit: int) -> list[str]:
    if len(section) <= limit:
        return [section]
    pieces, current = [], ""
    for line in section.split("\n"):
        line = line[:limit]
        candidate = f"{current}\n{line}" if current else line
        if len(candidate) <= limit:
            current = candidate
        else:
            pieces.append(current)
            current = line
    if current:
        pieces.append(current)
    return pieces
