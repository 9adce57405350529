"""Plain values the metric queries return; rendering and exports read only these."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime


def percent(part: int, whole: int) -> float | None:
    return 100.0 * part / whole if whole else None


@dataclass(frozen=True)
class Compliance:
    """Targets met / targets met or missed (a target counts once met or passed)."""

    met: int = 0
    missed: int = 0

    @property
    def decided(self) -> int:
        return self.met + self.missed

    @property
    def rate(self) -> float | None:
        return percent(self.met, self.decided)

    def __add__(self, other: Compliance) -> Compliance:
        return Compliance(self.met + other.met, self.missed + other.missed)


@dataclass(frozen=True)
class Durations:
    """Elapsed seconds: median and 90th percentile (``percentile_cont``)."""

    count: int = 0
    median: float | None = None
    p90: float | None = None


@dataclass
class Volume:
    """Ticket counts for one slice (all, a kind, a category, a project)."""

    opened: int = 0
    resolved: int = 0
    open_now: int = 0
    overdue_now: int = 0
    response: Compliance = field(default_factory=Compliance)
    resolution: Compliance = field(default_factory=Compliance)
    reopened: int = 0
    ever_resolved: int = 0

    @property
    def reopen_rate(self) -> float | None:
        return percent(self.reopened, self.ever_resolved)


@dataclass(frozen=True)
class Satisfaction:
    """Ticket ratings 1–5: CSAT = share of 4–5, and the mean."""

    ratings: int = 0
    satisfied: int = 0
    score_sum: int = 0

    @property
    def csat(self) -> float | None:
        return percent(self.satisfied, self.ratings)

    @property
    def mean(self) -> float | None:
        return self.score_sum / self.ratings if self.ratings else None

    def __add__(self, other: Satisfaction) -> Satisfaction:
        return Satisfaction(
            self.ratings + other.ratings,
            self.satisfied + other.satisfied,
            self.score_sum + other.score_sum,
        )


@dataclass(frozen=True)
class Nps:
    """Net promoter score: % promoters (9–10) − % detractors (0–6)."""

    responses: int = 0
    promoters: int = 0
    detractors: int = 0

    @property
    def score(self) -> float | None:
        if not self.responses:
            return None
        return 100.0 * (self.promoters - self.detractors) / self.responses


@dataclass(frozen=True)
class ResponseRate:
    """Surveys answered / surveys sent."""

    sent: int = 0
    answered: int = 0

    @property
    def rate(self) -> float | None:
        return percent(self.answered, self.sent)


@dataclass(frozen=True)
class EscalationCount:
    ladder: str
    level: int
    count: int


@dataclass(frozen=True)
class RepeatComplaint:
    project_name: str  # as stored; presentation reads the name in its language by the key
    unit_label: str
    category_key: str | None
    tickets: int
    project_key: str = ""


@dataclass(frozen=True)
class Dimension:
    """The 1–5 answers to one rating question of the questionnaire (appendix B:
    cleanliness, security, …): how many, and their mean. ``texts`` is the question as
    asked (``{"zh": …, "en": …}``, from the latest campaign's snapshot)."""

    key: str
    answers: int = 0
    score_sum: int = 0
    texts: tuple[tuple[str, str], ...] = ()

    @property
    def mean(self) -> float | None:
        return self.score_sum / self.answers if self.answers else None

    def __add__(self, other: Dimension) -> Dimension:
        return Dimension(
            self.key,
            self.answers + other.answers,
            self.score_sum + other.score_sum,
            self.texts or other.texts,
        )


@dataclass(frozen=True)
class Suggestion:
    """A free-text answer of the questionnaire (no name: residents' words only)."""

    text: str
    answered_at: datetime
    project_name: str | None  # as stored; presentation reads it in its language by the key
    question_key: str
    campaign_key: str
    project_key: str | None = None


@dataclass(frozen=True)
class Questionnaire:
    """The questionnaire's answers in a period: per-dimension averages (in the order
    the questions were asked) and the free-text suggestions, newest first (at most
    the number asked for; ``suggestion_count`` is all of them)."""

    dimensions: tuple[Dimension, ...] = ()
    suggestions: tuple[Suggestion, ...] = ()
    suggestion_count: int = 0

    @property
    def answers(self) -> int:
        return sum(d.answers for d in self.dimensions) + self.suggestion_count

    def dimension(self, key: str) -> Dimension | None:
        return next((d for d in self.dimensions if d.key == key), None)


@dataclass
class ProjectRow:
    project_id: int
    key: str
    name: str
    volume: Volume = field(default_factory=Volume)
    satisfaction: Satisfaction = field(default_factory=Satisfaction)
    first_response: Durations = field(default_factory=Durations)
    dimensions: dict[str, Dimension] = field(default_factory=dict)


@dataclass
class StaffRow:
    person_id: int
    name: str
    handled: int = 0
    on_time: Compliance = field(default_factory=Compliance)
    first_response: Durations = field(default_factory=Durations)
    satisfaction: Satisfaction = field(default_factory=Satisfaction)


@dataclass(frozen=True)
class DailyPoint:
    day: date
    opened: int = 0
    resolved: int = 0
    response: Compliance = Compliance()
    resolution: Compliance = Compliance()


@dataclass(frozen=True)
class OverdueTicket:
    number: str
    category_key: str | None
    ladder: str  # "response" | "resolution"
    due_at: datetime
    assignee_name: str | None


@dataclass(frozen=True)
class LowRating:
    number: str
    score: int
    comment: str | None
    answered_at: datetime
