"""What the statistics tell staff groups without being asked: the daily digest."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from bot.services.context import Notice
from bot.services.stats.figures import LowRating, OverdueTicket, Satisfaction, Volume
from bot.services.stats.periods import Period


@dataclass(frozen=True)
class DailyDigest(Notice):
    """For the group of ``unit_id``, once on ``posted_on`` (its local day): the figures of
    ``day`` (yesterday) in the unit's scope, the tickets overdue now and the lowest
    ratings of the day."""

    unit_id: int
    posted_on: date
    day: Period
    scope_name: str
    volume: Volume
    satisfaction: Satisfaction
    overdue_total: int
    overdue: tuple[OverdueTicket, ...]
    low_ratings: tuple[LowRating, ...]
