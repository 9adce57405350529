"""Pydantic models of the organisation file.

All models are frozen and reject unknown keys (``extra="forbid"``) so that a typo
in the file is reported instead of silently ignored. They validate strictly: a
number where a string is expected (or ``"yes"`` for a boolean) is an error.
Only unit and building keys are lenient (``units = [101, 102]`` is accepted).

Constructing models directly never touches the file system: ``units_csv`` is
only read (and merged into ``Project.buildings``) by ``load_organisation``.

To extend the file later, add fields with defaults (new optional keys) or new
models; cross-reference checks live in ``checks.py``.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from datetime import time as clock_time
from enum import StrEnum
from typing import Annotated, Any, Generic, Literal, Protocol, TypeVar, get_args
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    Strict,
    StringConstraints,
    field_validator,
    model_validator,
)

from storage.vocabulary import Language, ProjectKind, Segment, StaffRole, TicketKind, UnitKind

from .checks import cross_reference_findings
from .durations import Duration
from .places import format_place

__all__ = [
    "Building",
    "Category",
    "CategoryKeywords",
    "DigestPolicy",
    "EscalationLadders",
    "EscalationLevel",
    "Hq",
    "LocalizedText",
    "OrgUnit",
    "Organisation",
    "Project",
    "Region",
    "ResidentPolicy",
    "SlaCalendar",
    "SlaPolicy",
    "SlaRule",
    "SlaTargets",
    "SlaWarning",
    "Staff",
    "UnitSpec",
]

_T = TypeVar("_T")
# The vocabulary (kinds, roles, segments, languages) is defined once, in storage. The file
# is validated strictly, but its enum fields accept the plain strings TOML gives.
Lax = Annotated[_T, Strict(False)]


def _values(vocabulary: type[StrEnum]) -> tuple[str, ...]:
    return tuple(member.value for member in vocabulary)


# For messages that list what is allowed.
TICKET_KINDS = _values(TicketKind)
SEGMENTS = _values(Segment)
UNIT_KINDS = _values(UnitKind)
LANGUAGES = _values(Language)

MAX_TELEGRAM_ID = 2**63 - 1

# --------------------------------------------------------------------------- field types

_KEY_RE = re.compile(r"[a-z][a-z0-9_-]{0,31}", re.ASCII)
_LOCAL_KEY_RE = re.compile(r"[0-9A-Za-z][0-9A-Za-z_.-]{0,31}", re.ASCII)
_PREFIX_RE = re.compile(r"[A-Z]{1,6}", re.ASCII)


def check_key(value: str) -> str:
    if not _KEY_RE.fullmatch(value):
        raise ValueError(
            f'invalid key "{value}": use 1-32 lowercase ASCII letters, digits, "_" or "-", '
            "starting with a letter"
        )
    return value


def check_local_key(value: str) -> str:
    if not _LOCAL_KEY_RE.fullmatch(value):
        raise ValueError(
            f'invalid building/unit key "{value}": use 1-32 ASCII letters, digits, "_", "-" '
            'or ".", starting with a letter or digit'
        )
    return value


def _int_to_str(value: Any) -> Any:
    # ``units = [101, 102]`` / ``key = 1`` are natural to write; accept them.
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return value


def _check_prefix(value: str) -> str:
    if not _PREFIX_RE.fullmatch(value):
        raise ValueError(f'ticket_prefix must be 1-6 uppercase ASCII letters (A-Z), got "{value}"')
    return value


def check_timezone(value: str) -> str:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError, OSError):  # OSError: "Asia" is a directory
        raise ValueError(
            f'unknown timezone "{value}": expected an IANA name such as "Asia/Shanghai"'
        ) from None
    return value


def _check_group_chat_id(value: int | None) -> int | None:
    if value is None or value == 0:
        return None
    if value > 0:
        raise ValueError(
            f"group_chat_id must be a negative Telegram group id such as -1001234567890 "
            f"(or 0 / absent while not bound yet), got {value}"
        )
    return value


def _unique(values: list[Any], what: str) -> list[Any]:
    seen: set[Any] = set()
    for value in values:
        if value in seen:
            raise ValueError(f'duplicate {what} "{value}"')
        seen.add(value)
    return values


class _Keyed(Protocol):
    @property
    def key(self) -> str: ...


_K = TypeVar("_K", bound=_Keyed)


def _by_key(items: Iterable[_K], key: str, missing: str) -> _K:
    """The item with this ``key``; ``KeyError(missing)`` when there is none."""
    for item in items:
        if item.key == key:
            return item
    raise KeyError(missing)


Key = Annotated[str, AfterValidator(check_key)]
"""Key of a unit (hq/region/project) or category: ``sunshine``, ``water``."""
LocalKey = Annotated[str, BeforeValidator(_int_to_str), AfterValidator(check_local_key)]
"""Key of a building or a unit inside a project: ``1``, ``A``, ``1-101``."""
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Keyword = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
TicketPrefix = Annotated[str, AfterValidator(_check_prefix)]
TimezoneName = Annotated[str, AfterValidator(check_timezone)]
GroupChatId = Annotated[int | None, AfterValidator(_check_group_chat_id)]
TelegramId = Annotated[int, Field(gt=0, le=MAX_TELEGRAM_ID)]
# A number residents dial: digits with the usual separators ("400-820-1234", "+86 21 6123 4567").
Hotline = Annotated[
    str,
    StringConstraints(
        strip_whitespace=True, min_length=3, max_length=32, pattern=r"^\+?[0-9][0-9 ()\-]*$"
    ),
]


class _Named(Protocol):
    @property
    def name(self) -> str: ...
    @property
    def name_en(self) -> str | None: ...


def display_name(thing: _Named, locale: str) -> str:
    """The name people of ``locale`` read: the English name for English speakers, if given."""
    if thing.name_en and not locale.startswith("zh"):
        return thing.name_en
    return thing.name


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", strict=True)


def _language_field(language: str) -> str:
    if language not in LANGUAGES:
        raise ValueError(f"unsupported language {language!r}; expected one of {LANGUAGES}")
    return "zh" if language == "zh_CN" else "en"


class _Bilingual(_Model, Generic[_T]):
    """Said in Chinese (``zh``) and English (``en``): each subclass declares the two fields."""

    def get(self, language: str) -> _T:
        """The value for ``"zh_CN"`` or ``"en"``."""
        return getattr(self, _language_field(language))


# --------------------------------------------------------------------------- units


class UnitSpec(_Model):
    """A unit (apartment, shop, office, ...) inside a building."""

    key: LocalKey
    floor: int | None = None  # negative for basements
    kind: Lax[UnitKind] = UnitKind.APARTMENT


def _units_before(value: Any) -> Any:
    # Inline buildings list units as plain strings: units = ["101", "102"].
    if isinstance(value, list):
        return [
            {"key": item} if isinstance(item, str | int) and not isinstance(item, bool) else item
            for item in value
        ]
    return value


class Building(_Model):
    """A building of a project. ``name`` defaults to the key."""

    key: LocalKey
    name: Name
    name_en: Name | None = None
    units: Annotated[list[UnitSpec], BeforeValidator(_units_before)] = []

    @model_validator(mode="before")
    @classmethod
    def _default_name(cls, data: Any) -> Any:
        if isinstance(data, dict) and "name" not in data and "key" in data:
            return {**data, "name": str(data["key"])}
        return data

    @field_validator("units")
    @classmethod
    def _unique_units(cls, units: list[UnitSpec]) -> list[UnitSpec]:
        _unique([unit.key for unit in units], "unit")
        return units

    def unit(self, key: str) -> UnitSpec:
        return _by_key(self.units, key, f'building "{self.key}" has no unit "{key}"')


# --------------------------------------------------------------------------- organisation units


class Hq(_Model):
    """Headquarters (总部): the top management level."""

    key: Key = "hq"
    name: Name
    name_en: Name | None = None
    group_chat_id: GroupChatId = None
    language: Lax[Language] | None = None  # its staff group's; else the default


class Region(_Model):
    """A regional centre (区域中心)."""

    key: Key
    name: Name
    name_en: Name | None = None
    group_chat_id: GroupChatId = None
    language: Lax[Language] | None = None  # its staff group's; else the default


class Project(_Model):
    """A project office (项目): a residential community, commercial complex or public facility."""

    key: Key
    name: Name
    name_en: Name | None = None
    region: Key
    kind: Lax[ProjectKind]
    ticket_prefix: TicketPrefix
    group_chat_id: GroupChatId = None
    language: Lax[Language] | None = None  # its staff group's; else the default
    hotline: Hotline | None = None  # the project's emergency number; else the organisation's
    timezone: TimezoneName | None = None
    units_csv: Annotated[str, StringConstraints(min_length=1)] | None = None
    buildings: list[Building] = []

    @field_validator("buildings")
    @classmethod
    def _unique_buildings(cls, buildings: list[Building]) -> list[Building]:
        _unique([building.key for building in buildings], "building")
        return buildings

    def building(self, key: str) -> Building:
        return _by_key(self.buildings, key, f'project "{self.key}" has no building "{key}"')

    def has_unit(self, building: str, unit: str) -> bool:
        return any(
            b.key == building and any(u.key == unit for u in b.units) for b in self.buildings
        )

    def ticket_number(self, sequence: int) -> str:
        """``SG-000123`` for sequence 123."""
        if sequence < 0:
            raise ValueError("ticket sequence must not be negative")
        return f"{self.ticket_prefix}-{sequence:06d}"


OrgUnit = Hq | Region | Project


class Staff(_Model):
    """A staff member known to the bot by Telegram user id."""

    telegram_id: TelegramId
    name: Name
    role: Lax[StaffRole]
    unit: Key  # key of the hq, a region or a project


# --------------------------------------------------------------------------- categories


class LocalizedText(_Bilingual[str]):
    zh: Name
    en: Name


class CategoryKeywords(_Bilingual[list[str]]):
    zh: list[Keyword] = []
    en: list[Keyword] = []


# Topics of the built-in intake lexicon (bot/services/intake/lexicon.toml).
LexiconTopic = Literal[
    "water", "drains", "power", "lifts", "gas", "access", "security",
    "noise", "cleaning", "parking", "facilities", "fees",
]  # fmt: skip


class Category(_Model):
    """A ticket category (水管漏水, 电梯故障, ...).

    ``topics``: the lexicon topics whose everyday words suggest this category; left
    out, they are inferred from the key and names; ``[]``: only its own keywords.
    """

    key: Key
    name: LocalizedText
    keywords: CategoryKeywords = CategoryKeywords()
    topics: list[LexiconTopic] | None = None
    kinds: list[Lax[TicketKind]] = Field(default_factory=lambda: list(TicketKind), min_length=1)
    urgent_allowed: bool = False
    emergency: bool = False  # a danger (gas, fire): the hotline is shown before anything else

    @field_validator("topics", mode="before")
    @classmethod
    def _one_topic(cls, value: Any) -> Any:
        return [value] if isinstance(value, str) else value

    @field_validator("kinds")
    @classmethod
    def _unique_kinds(cls, kinds: list[TicketKind]) -> list[TicketKind]:
        return _unique(kinds, "kind")

    def accepts(self, kind: str) -> bool:
        return kind in self.kinds


# --------------------------------------------------------------------------- SLA


@dataclass(frozen=True)
class SlaTargets:
    """Effective service-level targets for one ticket."""

    first_response: timedelta
    resolution: timedelta
    update: timedelta | None  # answer a resident's follow-up; None = no separate target


def _category_list(value: Any) -> Any:
    return [value] if isinstance(value, str) else value


_TARGET_FIELDS = ("first_response", "resolution", "update")
_MATCH_FIELDS = ("kind", "category", "urgent", "segment")


class SlaRule(_Model):
    """An override of the SLA targets for tickets matching all of its given fields."""

    kind: Lax[TicketKind] | None = None
    category: Annotated[list[Key], BeforeValidator(_category_list), Field(min_length=1)] | None = (
        None
    )
    urgent: bool | None = None
    segment: Lax[Segment] | None = None
    first_response: Duration | None = None
    resolution: Duration | None = None
    update: Duration | None = None

    @model_validator(mode="after")
    def _check_targets(self) -> SlaRule:
        if all(getattr(self, name) is None for name in _TARGET_FIELDS):
            raise ValueError("rule sets no target: give first_response, resolution and/or update")
        if (
            self.first_response is not None
            and self.resolution is not None
            and self.first_response > self.resolution
        ):
            raise ValueError("first_response is longer than resolution")
        return self

    @property
    def specificity(self) -> int:
        """Number of match fields given; the most specific matching rule wins."""
        return sum(getattr(self, name) is not None for name in _MATCH_FIELDS)

    def matches(
        self,
        kind: str,
        category: str | None = None,
        urgent: bool = False,
        segment: str | None = None,
    ) -> bool:
        return (
            (self.kind is None or self.kind == kind)
            and (self.category is None or category in self.category)
            and (self.urgent is None or self.urgent == urgent)
            and (self.segment is None or self.segment == segment)
        )


# --------------------------------------------------------------------------- SLA: ladders,
# warnings and business calendars


EscalationTarget = Literal["project", "region", "hq"]
Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
WEEKDAYS: tuple[str, ...] = get_args(Weekday)
MAX_LADDER_LEVELS = 6
_HOURS_RE = re.compile(r"([01][0-9]|2[0-3]):([0-5][0-9])-([01][0-9]|2[0-4]):([0-5][0-9])", re.ASCII)
_DATE_RE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", re.ASCII)


class EscalationLevel(_Model):
    """One rung of a ladder: who is told, and how long after the missed deadline."""

    to: EscalationTarget
    after: Duration | None = None  # None: at the deadline itself

    @property
    def offset(self) -> timedelta:
        return self.after or timedelta(0)


def _check_ladder(levels: list[EscalationLevel]) -> list[EscalationLevel]:
    if len(levels) > MAX_LADDER_LEVELS:
        raise ValueError(f"a ladder has at most {MAX_LADDER_LEVELS} levels, got {len(levels)}")
    for previous, level in itertools.pairwise(levels):
        if level.offset <= previous.offset:
            raise ValueError(
                "each level must come later than the one before it (increasing `after`)"
            )
    return levels


Ladder = Annotated[list[EscalationLevel], AfterValidator(_check_ladder)]


def _default_response_ladder() -> list[EscalationLevel]:
    return [
        EscalationLevel(to="project"),
        EscalationLevel(to="region", after=timedelta(hours=8)),
        EscalationLevel(to="hq", after=timedelta(hours=24)),
    ]


def _default_resolution_ladder() -> list[EscalationLevel]:
    return [
        EscalationLevel(to="project"),
        EscalationLevel(to="region", after=timedelta(hours=12)),
        EscalationLevel(to="hq", after=timedelta(hours=24)),
        EscalationLevel(to="hq", after=timedelta(hours=72)),
    ]


class EscalationLadders(_Model):
    """Who hears about a missed first response and a missed resolution, and when."""

    response: Ladder = Field(default_factory=_default_response_ladder)
    resolution: Ladder = Field(default_factory=_default_resolution_ladder)

    def for_ladder(self, ladder: str) -> list[EscalationLevel]:
        return self.response if ladder == "response" else self.resolution


class SlaWarning(_Model):
    """A reminder before a deadline: a fixed time before it, or at a share of the target."""

    before: Duration | None = None
    percent: Annotated[int, Field(ge=1, le=99)] | None = None

    @model_validator(mode="after")
    def _one_way(self) -> SlaWarning:
        if (self.before is None) == (self.percent is None):
            raise ValueError('give exactly one of "before" (e.g. "2h") or "percent" (e.g. 75)')
        return self

    def lead(self, target: timedelta) -> timedelta:
        """How long before the deadline the warning goes out, for a given target."""
        if self.before is not None:
            return self.before
        assert self.percent is not None
        return target * (100 - self.percent) / 100


def _hours_list(value: Any) -> Any:
    return [value] if isinstance(value, str) else value


def _check_hours(value: list[str]) -> list[str]:
    spans = []
    for text in value:
        match = _HOURS_RE.fullmatch(text.strip())
        if match is None:
            raise ValueError(
                f'invalid opening hours "{text}": expected "HH:MM-HH:MM", e.g. "09:00-18:00"'
            )
        start = int(match[1]) * 60 + int(match[2])
        end = int(match[3]) * 60 + int(match[4])
        if end > 24 * 60 or end <= start:
            raise ValueError(f'opening hours "{text}" must end after they start (24:00 at most)')
        spans.append((start, end))
    spans.sort()
    for (_, end), (start, _) in itertools.pairwise(spans):
        if start < end:
            raise ValueError(f"opening hours overlap: {', '.join(value)}")
    return [text.strip() for text in value]


OpeningHours = Annotated[list[str], BeforeValidator(_hours_list), AfterValidator(_check_hours)]


def parse_hours(value: list[str]) -> list[tuple[int, int]]:
    """``["09:00-12:00", "13:00-18:00"]`` → minutes after midnight, sorted."""
    spans = []
    for text in value:
        start, end = text.split("-")
        spans.append((_minutes(start), _minutes(end)))
    return sorted(spans)


def _minutes(text: str) -> int:
    hours, minutes = text.split(":")
    return int(hours) * 60 + int(minutes)


def _check_closure(value: str) -> str:
    parts = [part.strip() for part in value.split("..")]
    if len(parts) not in (1, 2) or not all(_DATE_RE.fullmatch(part) for part in parts):
        raise ValueError(
            f'invalid closure "{value}": expected a date "2026-12-24" or a range '
            '"2026-12-24..2026-12-26"'
        )
    try:
        days = [date.fromisoformat(part) for part in parts]
    except ValueError as error:
        raise ValueError(f'invalid closure "{value}": {error}') from None
    if days[-1] < days[0]:
        raise ValueError(f'closure "{value}" ends before it starts')
    return value


def _check_holiday_region(value: str) -> str:
    country, _, subdivision = value.partition("-")
    if not re.fullmatch(r"[A-Z]{2}", country, re.ASCII):
        raise ValueError(
            f'invalid holidays "{value}": expected an ISO country code such as "CN" or "SG", '
            'optionally with a subdivision ("DE-BY")'
        )
    import holidays  # imported here: only files that use holidays pay for it

    try:
        holidays.country_holidays(country, subdiv=subdivision or None)
    except NotImplementedError as error:
        raise ValueError(f'unknown holidays "{value}": {error}') from None
    return value


class SlaCalendar(_Model):
    """Business hours of some projects, counted in each project's own timezone.

    Days without an entry in ``hours`` are closed. ``holidays = "CN"`` closes
    mainland China's statutory holidays and opens its make-up working days
    (``makeup_hours``, by default the Monday hours); other countries close their
    public holidays. ``closures`` are extra local closed days.
    """

    projects: list[Key] = Field(min_length=1)
    hours: dict[Weekday, OpeningHours] = Field(min_length=1)
    makeup_hours: OpeningHours | None = None
    holidays: Annotated[str, AfterValidator(_check_holiday_region)] | None = None
    closures: list[Annotated[str, AfterValidator(_check_closure)]] = []

    @field_validator("projects")
    @classmethod
    def _unique_projects(cls, projects: list[str]) -> list[str]:
        return _unique(projects, "project")

    def weekly_minutes(self) -> dict[int, list[tuple[int, int]]]:
        """Opening spans per ISO weekday index (0 = Monday)."""
        return {WEEKDAYS.index(day): parse_hours(spans) for day, spans in self.hours.items()}

    def makeup_minutes(self) -> list[tuple[int, int]]:
        if self.makeup_hours is not None:
            return parse_hours(self.makeup_hours)
        weekly = self.weekly_minutes()
        for weekday in range(5):
            if weekly.get(weekday):
                return weekly[weekday]
        return [(9 * 60, 18 * 60)]

    def closed_days(self) -> set[date]:
        days: set[date] = set()
        for closure in self.closures:
            parts = [date.fromisoformat(part.strip()) for part in closure.split("..")]
            day = parts[0]
            while day <= parts[-1]:
                days.add(day)
                day += timedelta(days=1)
        return days


class SlaPolicy(_Model):
    """Service-level promise: defaults plus rules.

    Resolution is per target: for each of first_response / resolution / update the
    most specific matching rule *that sets it* wins (more matched fields = more
    specific; ties go to the rule listed first); targets no matching rule sets fall
    back to the defaults at the top of ``[sla]``.
    """

    first_response: Duration = timedelta(hours=24)
    resolution: Duration = timedelta(hours=48)
    update: Duration | None = None
    rules: list[SlaRule] = []
    warning: SlaWarning | None = SlaWarning(percent=75)
    escalation: EscalationLadders = EscalationLadders()
    # Business-hours calendars by name; projects not listed in any count 24/7.
    calendars: dict[Key, SlaCalendar] = {}
    # This many escalations (or warnings) for one chat in one sweep become one digest message.
    digest_threshold: Annotated[int, Field(ge=2)] = 5
    # A ticket's residents hear from us, with an apology, when the response or the
    # resolution they were promised is late (its ladder's first escalation).
    tell_residents_when_late: bool = True

    @model_validator(mode="after")
    def _check_defaults(self) -> SlaPolicy:
        if self.first_response > self.resolution:
            raise ValueError("default first_response is longer than default resolution")
        return self

    def calendar_for(self, project_key: str) -> tuple[str, SlaCalendar] | None:
        """The business calendar a project counts in, or None for 24/7."""
        for name, calendar in self.calendars.items():
            if project_key in calendar.projects:
                return name, calendar
        return None

    def matching_rules(
        self,
        kind: str,
        category: str | None = None,
        urgent: bool = False,
        segment: str | None = None,
    ) -> list[SlaRule]:
        """Matching rules, most specific first (ties: file order)."""
        if kind not in TICKET_KINDS:
            raise ValueError(f"unknown ticket kind {kind!r}; expected one of {TICKET_KINDS}")
        if segment is not None and segment not in SEGMENTS:
            raise ValueError(f"unknown segment {segment!r}; expected one of {SEGMENTS}")
        matching = [rule for rule in self.rules if rule.matches(kind, category, urgent, segment)]
        return sorted(matching, key=lambda rule: -rule.specificity)  # sort is stable

    def targets_for(
        self,
        kind: str,
        category: str | None = None,
        urgent: bool = False,
        segment: str | None = None,
    ) -> SlaTargets:
        rules = self.matching_rules(kind, category, urgent, segment)

        def pick(name: str, default: timedelta | None) -> timedelta | None:
            for rule in rules:
                value = getattr(rule, name)
                if value is not None:
                    return value
            return default

        first_response = pick("first_response", self.first_response)
        resolution = pick("resolution", self.resolution)
        assert first_response is not None and resolution is not None
        return SlaTargets(first_response, resolution, pick("update", self.update))


# --------------------------------------------------------------------------- residents

NoticeText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=3000)]


class NoticeTexts(_Bilingual[str]):
    """A long text in both languages (the privacy notice)."""

    zh: NoticeText
    en: NoticeText


class ResidentPolicy(_Model):
    """``[residents]``: the rules of residents' conversations with the bot."""

    # Bump the version when the notice changes: residents are asked to agree again.
    privacy_notice_version: Annotated[
        str, StringConstraints(strip_whitespace=True, min_length=1, max_length=32)
    ] = "1"
    privacy_notice: NoticeTexts | None = None  # replaces the built-in notice
    personal_data_kept_for: Duration = timedelta(days=730)
    # Personal text and photos of tickets closed longer than this are removed (retention job).
    closed_ticket_text_kept_for: Duration = timedelta(days=365)
    description_max_length: Annotated[int, Field(ge=20, le=3000)] = 1000
    max_photos: Annotated[int, Field(ge=0, le=10)] = 5
    max_tickets_per_day: Annotated[int, Field(ge=1, le=1000)] = 10
    duplicate_threshold: Annotated[int, Field(ge=1, le=100)] = 70
    category_threshold: Annotated[int, Field(ge=1, le=100)] = 75
    unit_code_ttl: Duration = timedelta(days=30)
    unit_code_max_attempts: Annotated[int, Field(ge=1, le=100)] = 5
    unit_code_attempt_window: Duration = timedelta(hours=1)
    max_messages_per_minute: Annotated[int, Field(ge=5, le=1000)] = 60
    flood_backlog: Annotated[int, Field(ge=2, le=1000)] = 10


# --------------------------------------------------------------------------- surveys

SurveyQuestionKind = Literal["rating", "nps", "text"]
NPS_QUESTION_KEY = "nps"


class SurveyQuestion(_Model):
    """A question of the periodic questionnaire (appendix B).

    ``rating`` is answered 1–5, ``nps`` ("would you recommend us?") 0–10 and must
    have the key "nps", ``text`` is a free-text answer the resident may skip.
    """

    key: Key
    kind: SurveyQuestionKind = "rating"
    text: LocalizedText

    @model_validator(mode="after")
    def _nps_key(self) -> SurveyQuestion:
        if (self.kind == "nps") != (self.key == NPS_QUESTION_KEY):
            raise ValueError('the "nps" question (0–10) has key "nps" and kind "nps"')
        return self


class ReasonChip(_Model):
    """A reason a resident can tick after rating a ticket ("too slow", "polite")."""

    key: Key
    name: LocalizedText


def _question(key: str, kind: SurveyQuestionKind, zh: str, en: str) -> SurveyQuestion:
    return SurveyQuestion(key=key, kind=kind, text=LocalizedText(zh=zh, en=en))


def _chip(key: str, zh: str, en: str) -> ReasonChip:
    return ReasonChip(key=key, name=LocalizedText(zh=zh, en=en))


def _default_questions() -> list[SurveyQuestion]:
    return [
        _question("overall", "rating", "总体而言，您对我们的物业服务满意吗？",
                  "Overall, how satisfied are you with our property services?"),
        _question("cleanliness", "rating", "您对公共区域的清洁卫生满意吗？",
                  "How satisfied are you with the cleanliness of common areas?"),
        _question("security", "rating", "您对小区的安全与秩序维护满意吗？",
                  "How satisfied are you with security and safety?"),
        _question("repairs", "rating", "您对维修和设施维护满意吗？",
                  "How satisfied are you with repairs and maintenance?"),
        _question("staff_attitude", "rating", "您对工作人员的服务态度满意吗？",
                  "How satisfied are you with our staff's attitude?"),
        _question("communication", "rating", "您对我们的沟通和信息通知满意吗？",
                  "How satisfied are you with how we keep you informed?"),
        _question(NPS_QUESTION_KEY, "nps", "您有多大可能向亲友或邻居推荐我们的物业服务？",
                  "How likely are you to recommend us to a friend or neighbour?"),
        _question("suggestion", "text", "您对我们还有什么意见或建议？",
                  "What should we improve? Any suggestion is welcome."),
    ]  # fmt: skip


def _default_low_reasons() -> list[ReasonChip]:
    return [
        _chip("slow", "处理太慢", "Too slow"),
        _chip("not_fixed_properly", "没有修好", "Not fixed properly"),
        _chip("rude", "态度不好", "Staff were rude"),
        _chip("no_updates", "没有进度通知", "No updates"),
    ]


def _default_high_reasons() -> list[ReasonChip]:
    return [
        _chip("fast", "处理迅速", "Fast"),
        _chip("polite", "态度友好", "Polite staff"),
        _chip("good_quality", "维修质量好", "Good quality work"),
    ]


def _check_cron(value: str | None) -> str | None:
    if value is None:
        return None
    from apscheduler.triggers.cron import CronTrigger

    fields = value.split()
    if len(fields) == 5 and re.search(r"\d", re.sub(r"/\d+", "", fields[4])):
        # Cron counts weekdays from Sunday = 0, the scheduler from Monday = 0: names are clear.
        raise ValueError(
            f'write the weekday of "{value}" as a name (mon, tue, wed, thu, fri, sat, sun), '
            'e.g. "0 10 * * mon" or "0 9 * * mon-fri"'
        )
    try:
        CronTrigger.from_crontab(value)
    except ValueError as error:
        raise ValueError(
            f'invalid cron schedule "{value}" ({error}): expected five fields '
            '"minute hour day month weekday", e.g. "0 10 1 */3 *"'
        ) from None
    return value


Score5 = Annotated[int, Field(ge=1, le=5)]


class SurveyPolicy(_Model):
    """``[survey]``: the survey after each ticket and the periodic questionnaire."""

    # After a ticket is resolved: one reminder, then closed if nobody answers.
    reminder_after: Duration = timedelta(days=2)
    auto_close_after: Duration = timedelta(days=3)
    # A resident who stops in the middle of the rating is taken as finished after this.
    abandon_after: Duration = timedelta(hours=1)
    # Ratings at or below start the complaint follow-up; from praise_from up the
    # reasons offered are what went well, below it what went wrong.
    low_score: Annotated[int, Field(ge=1, le=4)] = 2
    praise_from: Annotated[int, Field(ge=2, le=5)] = 4
    low_reasons: list[ReasonChip] = Field(default_factory=_default_low_reasons)
    high_reasons: list[ReasonChip] = Field(default_factory=_default_high_reasons)
    # The periodic questionnaire.
    questions: list[SurveyQuestion] = Field(default_factory=_default_questions, min_length=1)
    campaign_reminder_after: Duration = timedelta(days=3)
    schedule: Annotated[str | None, AfterValidator(_check_cron)] = None

    @model_validator(mode="after")
    def _check(self) -> SurveyPolicy:
        if self.reminder_after >= self.auto_close_after:
            raise ValueError("reminder_after must be shorter than auto_close_after")
        if self.low_score >= self.praise_from:
            raise ValueError("low_score must be below praise_from")
        _unique([q.key for q in self.questions], "question key")
        _unique([c.key for c in self.low_reasons], "reason key")
        _unique([c.key for c in self.high_reasons], "reason key")
        return self

    def reasons_for(self, score: int) -> list[ReasonChip]:
        return self.high_reasons if score >= self.praise_from else self.low_reasons

    def is_low(self, score: int) -> bool:
        return score <= self.low_score


# --------------------------------------------------------------------------- daily digest

_TIME_OF_DAY_RE = re.compile(r"([01][0-9]|2[0-3]):([0-5][0-9])", re.ASCII)


def _check_time_of_day(value: str) -> str:
    if not _TIME_OF_DAY_RE.fullmatch(value):
        raise ValueError(f'time must be "HH:MM" (24-hour clock), got "{value}"')
    return value


class DigestPolicy(_Model):
    """The daily digest each staff group gets: yesterday's figures, what is overdue
    now and the lowest ratings. ``time`` is local (the organisation's timezone)."""

    enabled: bool = False
    time: Annotated[str, AfterValidator(_check_time_of_day)] = "08:30"

    @property
    def time_of_day(self) -> clock_time:
        hours, minutes = self.time.split(":")
        return clock_time(int(hours), int(minutes))


# --------------------------------------------------------------------------- notices and FAQ


class QuietHours(_Model):
    """Local hours in which notices that are not urgent wait (e.g. 22:00–08:00): they
    are delivered when the quiet hours end. Outages under way and incidents go at once."""

    start: Annotated[str, AfterValidator(_check_time_of_day)] = "22:00"
    end: Annotated[str, AfterValidator(_check_time_of_day)] = "08:00"

    @staticmethod
    def _time(value: str) -> clock_time:
        hours, minutes = value.split(":")
        return clock_time(int(hours), int(minutes))

    @model_validator(mode="after")
    def _not_empty(self) -> QuietHours:
        if self.start == self.end:
            raise ValueError("quiet hours must start and end at different times")
        return self

    @property
    def start_time(self) -> clock_time:
        return self._time(self.start)

    @property
    def end_time(self) -> clock_time:
        return self._time(self.end)


FaqAnswer = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000)]


class FaqAnswerText(_Bilingual[str]):
    zh: FaqAnswer
    en: FaqAnswer


class FaqEntry(_Model):
    """A routine question answered at once (office hours, fee payment, parking rules…).

    ``keywords``: words that point to it in each language; ``phrasings``: sample
    questions as residents ask them (a message much like one matches too)."""

    key: Key
    question: LocalizedText
    answer: FaqAnswerText
    keywords: CategoryKeywords = CategoryKeywords()
    phrasings: CategoryKeywords = CategoryKeywords()


# --------------------------------------------------------------------------- organisation


class Organisation(_Model):
    """The whole organisation file."""

    timezone: TimezoneName = "Asia/Shanghai"
    default_language: Lax[Language] = Language.ZH_CN
    hotline: Hotline | None = None  # the company's 24-hour emergency number
    hq: Hq
    regions: list[Region] = []
    projects: list[Project] = []
    staff: list[Staff] = []
    categories: list[Category] = []
    sla: SlaPolicy = SlaPolicy()
    residents: ResidentPolicy = ResidentPolicy()
    survey: SurveyPolicy = SurveyPolicy()
    digest: DigestPolicy = DigestPolicy()
    quiet_hours: QuietHours | None = None  # None: notices are never held back
    faq: list[FaqEntry] = []

    @field_validator("faq")
    @classmethod
    def _unique_faq(cls, faq: list[FaqEntry]) -> list[FaqEntry]:
        _unique([entry.key for entry in faq], "FAQ key")
        return faq

    @model_validator(mode="after")
    def _cross_references(self) -> Organisation:
        findings = cross_reference_findings(
            hq=self.hq,
            regions=list(self.regions),
            projects=list(self.projects),
            staff=list(self.staff),
            categories=list(self.categories),
            sla_rules=list(self.sla.rules),
            sla_calendars=self.sla.calendars,
        )
        if findings:
            raise ValueError(
                "; ".join(f"{format_place(path, self)}: {message}" for path, message in findings)
            )
        return self

    # -- lookups (KeyError when absent) ------------------------------------------------

    def units(self) -> list[OrgUnit]:
        """HQ, then regions, then projects, in file order."""
        return [self.hq, *self.regions, *self.projects]

    def unit_keys(self) -> list[str]:
        return [unit.key for unit in self.units()]

    def unit(self, key: str) -> OrgUnit:
        return _by_key(self.units(), key, f'no hq, region or project with key "{key}"')

    def region(self, key: str) -> Region:
        return _by_key(self.regions, key, f'no region with key "{key}"')

    def project(self, key: str) -> Project:
        return _by_key(self.projects, key, f'no project with key "{key}"')

    def ticket_prefixes(self) -> frozenset[str]:
        return frozenset(project.ticket_prefix for project in self.projects)

    def project_by_prefix(self, ticket_prefix: str) -> Project:
        for project in self.projects:
            if project.ticket_prefix == ticket_prefix:
                return project
        raise KeyError(f'no project with ticket_prefix "{ticket_prefix}"')

    def projects_in(self, region_key: str) -> list[Project]:
        return [project for project in self.projects if project.region == region_key]

    def category(self, key: str) -> Category:
        return _by_key(self.categories, key, f'no category with key "{key}"')

    def staff_member(self, telegram_id: int) -> Staff | None:
        for member in self.staff:
            if member.telegram_id == telegram_id:
                return member
        return None

    def staff_of(self, unit_key: str) -> list[Staff]:
        return [member for member in self.staff if member.unit == unit_key]

    def chain(self, unit_key: str) -> list[OrgUnit]:
        """The unit and its parents up to HQ: project → region → hq."""
        unit = self.unit(unit_key)
        if isinstance(unit, Hq):
            return [unit]
        if isinstance(unit, Region):
            return [unit, self.hq]
        return [unit, self.region(unit.region), self.hq]

    def hotline_for(self, project_key: str | None) -> str | None:
        """The emergency number for a project's residents (the company's if it has none)."""
        if project_key is not None:
            number = self.project(project_key).hotline
            if number:
                return number
        return self.hotline

    def group_language(self, unit_key: str | None) -> str:
        """The language of a unit's staff group: its own, else the organisation's."""
        try:
            own = self.unit(unit_key).language if unit_key is not None else None
        except KeyError:  # a unit no longer in the file
            own = None
        return (own or self.default_language).value

    def zone(self, project_key: str | None = None) -> ZoneInfo:
        """Timezone of a project (its override, else the organisation's)."""
        name = self.timezone
        if project_key is not None:
            name = self.project(project_key).timezone or name
        return ZoneInfo(name)
