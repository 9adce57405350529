"""What the statistics tell staff groups without being asked: the daily digest."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from bot.services.context import Notice
from bot.services.stats.figures import (
    LowRating,
    Nps,
    OverdueTicket,
    Questionnaire,
    Satisfaction,
    Volume,
)
from bot.services.stats.periods import Period
from bot.services.stats.self_service import SelfServiceFigures


@dataclass(frozen=True)
class DailyDigest(Notice):
    """For the group of ``unit_id``, once on ``posted_on`` (its local day): the figures of
    ``day`` (yesterday) in the unit's scope, the tickets overdue now and the lowest
    ratings of the day, and the questionnaire's answers of the day (dimension averages,
    NPS, suggestions)."""

    unit_id: int
    posted_on: date
    day: Period
    scope_name: str
    volume: Volume
    satisfaction: Satisfaction
    overdue_total: int
    overdue: tuple[OverdueTicket, ...]
    low_ratings: tuple[LowRating, ...]
    questionnaire: Questionnaire = field(default_factory=Questionnaire)
    nps: Nps = field(default_factory=Nps)
    self_service: SelfServiceFigures = field(default_factory=SelfServiceFigures)

    @property
    def is_empty(self) -> bool:
        """Nothing to tell: no ticket opened or resolved, no rating, no questionnaire
        answer that day, and nothing overdue now (all the figures would be zeros)."""
        return not (
            self.volume.opened
            or self.volume.resolved
            or self.satisfaction.ratings
            or self.low_ratings
            or self.overdue_total
            or self.questionnaire.answers
            or self.nps.responses
            or not self.self_service.is_empty
        )
