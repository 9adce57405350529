"""The daily digest of a staff group, in the group's language."""

from __future__ import annotations

import html
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot.config.orgfile import Organisation
from bot.i18n import N_, translate
from bot.presentation import outbox
from bot.presentation.announce import renders
from bot.presentation.stats.self_service import self_service_lines
from bot.presentation.stats.texts import (
    DASH,
    LADDER_NAMES,
    category_label,
    compliance_text,
    csat_text,
    dimension_name,
    mean_text,
    pack_messages,
    suggestion_text,
)
from bot.presentation.texts import labelled, span, star_bar
from bot.services.context import Context
from bot.services.stats.digest import digest_key
from bot.services.stats.notices import DailyDigest
from storage.models import OrgUnit

COMMENT_CHARS = 200


def digest_text(org: Organisation, now: datetime, digest: DailyDigest, locale: str) -> str:
    def t(msgid: str, **values: Any) -> str:
        return translate(locale, msgid, **values)

    volume = digest.volume
    sections = [
        "\n".join(
            [
                t(
                    N_("🗓 <b>Daily digest · {scope}</b> · {day}"),
                    scope=html.escape(digest.scope_name),
                    day=digest.day.label(),
                ),
                t(
                    N_("Yesterday: opened {opened} · resolved {resolved}"),
                    opened=volume.opened,
                    resolved=volume.resolved,
                ),
                t(N_("Response on time: {text}"), text=compliance_text(locale, volume.response)),
                t(N_("Resolved on time: {text}"), text=compliance_text(locale, volume.resolution)),
                t(N_("CSAT: {text}"), text=csat_text(locale, digest.satisfaction)),
            ]
        )
    ]
    lines = [t(N_("<b>Overdue now: {count}</b>"), count=digest.overdue_total)]
    zone = org.zone()
    for ticket in digest.overdue:
        lines.append(
            "• "
            + t(
                N_("{number} · {category} · {ladder} due {due} ({late} late) · {assignee}"),
                number=html.escape(ticket.number),
                category=html.escape(category_label(org, locale, ticket.category_key)),
                ladder=t(LADDER_NAMES[ticket.ladder]),
                due=ticket.due_at.astimezone(zone).strftime("%m-%d %H:%M"),
                late=span(locale, now - ticket.due_at),
                assignee=html.escape(ticket.assignee_name or t(N_("unassigned"))),
            )
        )
    if digest.overdue_total > len(digest.overdue):
        lines.append(t(N_("… and {count} more"), count=digest.overdue_total - len(digest.overdue)))
    sections.append("\n".join(lines))
    if digest.low_ratings:
        lines = [t(N_("<b>Lowest ratings yesterday</b>"))]
        for rating in digest.low_ratings:
            line = f"• {html.escape(rating.number)} · {star_bar(rating.score)}"
            if rating.comment:
                comment = rating.comment.strip()
                if len(comment) > COMMENT_CHARS:
                    comment = comment[: COMMENT_CHARS - 1] + "…"
                line += f" · “{html.escape(comment)}”"
            lines.append(line)
        sections.append("\n".join(lines))
    else:
        sections.append(t(N_("No low ratings yesterday.")))
    questionnaire = _questionnaire_section(org, digest, locale)
    if questionnaire:
        sections.append(questionnaire)
    self_service = self_service_lines(digest.self_service, locale)
    if self_service:
        sections.append("\n".join(self_service))
    return pack_messages(sections)[0]


def _questionnaire_section(org: Organisation, digest: DailyDigest, locale: str) -> str:
    """Yesterday's questionnaire answers: NPS, the average per dimension, suggestions."""
    questionnaire = digest.questionnaire
    answered = [d for d in questionnaire.dimensions if d.answers]
    if not (answered or questionnaire.suggestion_count or digest.nps.responses):
        return ""
    nps = digest.nps
    lines = [
        translate(
            locale,
            N_("<b>Questionnaire yesterday</b> · NPS {score} (n={count})"),
            score=DASH if nps.score is None else f"{nps.score:+.0f}",
            count=nps.responses,
        )
    ]
    lines += [
        "• " + labelled(locale, html.escape(dimension_name(org, locale, d)), mean_text(locale, d))
        for d in answered
    ]
    for suggestion in questionnaire.suggestions:
        lines.append(f"💬 “{suggestion_text(suggestion.text, COMMENT_CHARS)}”")
    more = questionnaire.suggestion_count - len(questionnaire.suggestions)
    if more > 0:
        lines.append(translate(locale, N_("… and {count} more"), count=more))
    return "\n".join(lines)


@renders(DailyDigest)
async def daily_digest(session: AsyncSession, ctx: Context, notice: DailyDigest) -> None:
    unit = await session.get(OrgUnit, notice.unit_id)
    assert unit is not None and unit.group_chat_id is not None
    await outbox.enqueue_text(
        session,
        chat_id=unit.group_chat_id,
        text=digest_text(ctx.org, ctx.now, notice, ctx.group_locale_of(unit.key)),
        now=ctx.now,
        dedup_key=digest_key(unit.key, notice.posted_on),
    )
