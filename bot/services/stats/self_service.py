"""Notices and self-service answers in the statistics: notices sent and their reach,
reports answered by an active notice (deflected), FAQ answers shown and how often they
answered the question (the self-service rate)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.services.announcements.deflection import ANSWERED, DEFLECTED, FAQ, OK
from bot.services.stats.periods import Period
from bot.services.stats.scope import StatsScope
from storage.models import Announcement, SelfServiceEvent


@dataclass(frozen=True)
class SelfServiceFigures:
    notices_sent: int = 0
    notice_reach: int = 0  # residents the notices were sent to
    notices_shown: int = 0  # reports met by an active notice
    reports_deflected: int = 0  # … after which the resident filed nothing (OK)
    faq_shown: int = 0
    faq_answered: int = 0  # "This answered it"

    @property
    def self_service_rate(self) -> float | None:
        """Share of the FAQ answers shown that answered the question (%)."""
        return 100.0 * self.faq_answered / self.faq_shown if self.faq_shown else None

    @property
    def is_empty(self) -> bool:
        return not (self.notices_sent or self.notices_shown or self.faq_shown)


async def self_service_figures(
    session: AsyncSession, scope: StatsScope, period: Period
) -> SelfServiceFigures:
    projects = set(scope.project_ids)
    sent = (
        await session.execute(
            select(Announcement.project_ids, Announcement.reach).where(
                Announcement.created_at >= period.start, Announcement.created_at < period.end
            )
        )
    ).all()
    mine = [reach for project_ids, reach in sent if projects & set(project_ids or [])]
    rows = await session.execute(
        select(SelfServiceEvent.kind, SelfServiceEvent.outcome, func.count())
        .where(
            SelfServiceEvent.shown_at >= period.start,
            SelfServiceEvent.shown_at < period.end,
            SelfServiceEvent.project_id.in_(projects),
        )
        .group_by(SelfServiceEvent.kind, SelfServiceEvent.outcome)
    )
    counts: dict[tuple[str, str | None], int] = {(k, o): n for k, o, n in rows}

    def shown(kind: str) -> int:
        return sum(n for (k, _), n in counts.items() if k == kind)

    return SelfServiceFigures(
        notices_sent=len(mine),
        notice_reach=sum(mine),
        notices_shown=shown(DEFLECTED),
        reports_deflected=counts.get((DEFLECTED, OK), 0),
        faq_shown=shown(FAQ),
        faq_answered=counts.get((FAQ, ANSWERED), 0),
    )
