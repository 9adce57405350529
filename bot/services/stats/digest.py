"""The daily digest: each staff group (project, region, HQ) gets, at the configured
local time, yesterday's figures for its own scope, the tickets overdue now and the
lowest ratings with their comments.

The scheduler calls :func:`post_daily_digests` every minute; a digest is queued in
the outbox once per group and day (its dedup key), so a restart, a second instance
or a late start after downtime never posts it twice, and a bot that was down at the
configured time posts it when it comes back the same day.
"""

from __future__ import annotations

import html
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.config.orgfile import Organisation
from bot.i18n import N_, normalise_locale, translate
from bot.services import outbox
from bot.services.stats import satisfaction as sat
from bot.services.stats import tickets
from bot.services.stats.figures import Satisfaction
from bot.services.stats.periods import Period
from bot.services.stats.scope import StatsScope, scope_of_unit
from bot.services.stats.texts import (
    LADDER_NAMES,
    category_label,
    compliance_text,
    csat_text,
    duration,
    pack_messages,
)
from storage.models import OrgUnit, OutboxMessage

OVERDUE_LISTED = 10
LOW_RATINGS_LISTED = 5
COMMENT_CHARS = 200


def stars(score: int) -> str:
    return "★" * score + "☆" * (5 - score)


def dedup_key(unit: OrgUnit, day) -> str:
    return f"digest:{unit.key}:{day.isoformat()}"


async def post_daily_digests(session: AsyncSession, org: Organisation, now: datetime) -> int:
    """Queue today's digest for every bound staff group that has not had it; returns how many."""
    policy = org.digest
    zone = org.zone()
    local_now = now.astimezone(zone)
    if not policy.enabled or local_now.time() < policy.time_of_day:
        return 0
    today = local_now.date()
    yesterday = Period(today - timedelta(days=1), today - timedelta(days=1), zone)
    locale = normalise_locale(org.default_language) or "zh_CN"
    units = (
        await session.scalars(
            select(OrgUnit)
            .where(OrgUnit.active.is_(True), OrgUnit.group_chat_id.is_not(None))
            .order_by(OrgUnit.id)
        )
    ).all()
    posted = 0
    for unit in units:
        key = dedup_key(unit, today)
        if await session.scalar(select(OutboxMessage.id).where(OutboxMessage.dedup_key == key)):
            continue
        scope = await scope_of_unit(session, unit)
        text = await digest_text(session, scope, yesterday, now, org, locale)
        assert unit.group_chat_id is not None
        if await outbox.enqueue_text(
            session, chat_id=unit.group_chat_id, text=text, now=now, dedup_key=key
        ):
            posted += 1
    return posted


async def digest_text(
    session: AsyncSession,
    scope: StatsScope,
    day: Period,
    now: datetime,
    org: Organisation,
    locale: str,
) -> str:
    t = lambda msgid, **values: translate(locale, msgid, **values)  # noqa: E731
    volume = (await tickets.volume_slices(session, scope, day, now)).total()
    ratings = await sat.ratings_by_project_and_assignee(session, scope, day)
    satisfaction = sum(ratings.values(), Satisfaction())
    overdue_total, overdue = await tickets.overdue_tickets(
        session, scope, now, limit=OVERDUE_LISTED
    )
    low = await sat.lowest_ratings(session, scope, day, limit=LOW_RATINGS_LISTED)

    sections = [
        "\n".join(
            [
                t(
                    N_("🗓 <b>Daily digest · {scope}</b> · {day}"),
                    scope=html.escape(scope.name),
                    day=day.label(),
                ),
                t(
                    N_("Yesterday: opened {opened} · resolved {resolved}"),
                    opened=volume.opened,
                    resolved=volume.resolved,
                ),
                t(N_("Response on time: {text}"), text=compliance_text(locale, volume.response)),
                t(N_("Resolved on time: {text}"), text=compliance_text(locale, volume.resolution)),
                t(N_("CSAT: {text}"), text=csat_text(locale, satisfaction)),
            ]
        )
    ]
    lines = [t(N_("<b>Overdue now: {count}</b>"), count=overdue_total)]
    zone = org.zone()
    for ticket in overdue:
        lines.append(
            "• "
            + t(
                N_("{number} · {category} · {ladder} due {due} ({late} late) · {assignee}"),
                number=html.escape(ticket.number),
                category=html.escape(category_label(org, locale, ticket.category_key)),
                ladder=t(LADDER_NAMES[ticket.ladder]),
                due=ticket.due_at.astimezone(zone).strftime("%m-%d %H:%M"),
                late=duration(locale, (now - ticket.due_at).total_seconds()),
                assignee=html.escape(ticket.assignee_name or t(N_("unassigned"))),
            )
        )
    if overdue_total > len(overdue):
        lines.append(t(N_("… and {count} more"), count=overdue_total - len(overdue)))
    sections.append("\n".join(lines))
    if low:
        lines = [t(N_("<b>Lowest ratings yesterday</b>"))]
        for rating in low:
            line = f"• {html.escape(rating.number)} · {stars(rating.score)}"
            if rating.comment:
                comment = rating.comment.strip()
                if len(comment) > COMMENT_CHARS:
                    comment = comment[: COMMENT_CHARS - 1] + "…"
                line += f" · “{html.escape(comment)}”"
            lines.append(line)
        sections.append("\n".join(lines))
    else:
        sections.append(t(N_("No low ratings yesterday.")))
    return pack_messages(sections)[0]
