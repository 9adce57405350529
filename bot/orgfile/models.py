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

import re
from dataclasses import dataclass
from datetime import timedelta
from typing import Annotated, Any, Literal, get_args
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
    field_validator,
    model_validator,
)

from .checks import cross_reference_findings
from .durations import Duration
from .places import format_place

__all__ = [
    "LANGUAGES",
    "PROJECT_KINDS",
    "ROLES",
    "SEGMENTS",
    "TICKET_KINDS",
    "UNIT_KINDS",
    "Building",
    "Category",
    "CategoryKeywords",
    "Hq",
    "Language",
    "LocalizedText",
    "OrgUnit",
    "Organisation",
    "Project",
    "ProjectKind",
    "Region",
    "Role",
    "Segment",
    "SlaPolicy",
    "SlaRule",
    "SlaTargets",
    "Staff",
    "TicketKind",
    "UnitKind",
    "UnitSpec",
]

TicketKind = Literal["repair", "complaint", "suggestion", "inquiry"]
Segment = Literal["owner", "tenant", "commercial", "vip"]
Role = Literal["agent", "manager", "admin"]
ProjectKind = Literal["residential", "commercial", "public"]
UnitKind = Literal["apartment", "shop", "office", "room", "parking", "storage", "other"]
Language = Literal["zh_CN", "en"]

TICKET_KINDS: tuple[str, ...] = get_args(TicketKind)
SEGMENTS: tuple[str, ...] = get_args(Segment)
ROLES: tuple[str, ...] = get_args(Role)
PROJECT_KINDS: tuple[str, ...] = get_args(ProjectKind)
UNIT_KINDS: tuple[str, ...] = get_args(UnitKind)
LANGUAGES: tuple[str, ...] = get_args(Language)

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


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", strict=True)


def _language_field(language: str) -> str:
    if language not in LANGUAGES:
        raise ValueError(f"unsupported language {language!r}; expected one of {LANGUAGES}")
    return "zh" if language == "zh_CN" else "en"


# --------------------------------------------------------------------------- units


class UnitSpec(_Model):
    """A unit (apartment, shop, office, ...) inside a building."""

    key: LocalKey
    floor: int | None = None  # negative for basements
    kind: UnitKind = "apartment"


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
        for unit in self.units:
            if unit.key == key:
                return unit
        raise KeyError(f'building "{self.key}" has no unit "{key}"')


# --------------------------------------------------------------------------- organisation units


class Hq(_Model):
    """Headquarters (总部): the top management level."""

    key: Key = "hq"
    name: Name
    group_chat_id: GroupChatId = None


class Region(_Model):
    """A regional centre (区域中心)."""

    key: Key
    name: Name
    group_chat_id: GroupChatId = None


class Project(_Model):
    """A project office (项目): a residential community, commercial complex or public facility."""

    key: Key
    name: Name
    region: Key
    kind: ProjectKind
    ticket_prefix: TicketPrefix
    group_chat_id: GroupChatId = None
    timezone: TimezoneName | None = None
    units_csv: Annotated[str, StringConstraints(min_length=1)] | None = None
    buildings: list[Building] = []

    @field_validator("buildings")
    @classmethod
    def _unique_buildings(cls, buildings: list[Building]) -> list[Building]:
        _unique([building.key for building in buildings], "building")
        return buildings

    def building(self, key: str) -> Building:
        for building in self.buildings:
            if building.key == key:
                return building
        raise KeyError(f'project "{self.key}" has no building "{key}"')

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
    role: Role
    unit: Key  # key of the hq, a region or a project


# --------------------------------------------------------------------------- categories


class LocalizedText(_Model):
    zh: Name
    en: Name

    def get(self, language: str) -> str:
        """Text for ``"zh_CN"`` or ``"en"``."""
        return getattr(self, _language_field(language))


class CategoryKeywords(_Model):
    zh: list[Keyword] = []
    en: list[Keyword] = []

    def get(self, language: str) -> list[str]:
        return getattr(self, _language_field(language))


class Category(_Model):
    """A ticket category (水管漏水, 电梯故障, ...)."""

    key: Key
    name: LocalizedText
    keywords: CategoryKeywords = CategoryKeywords()
    kinds: list[TicketKind] = Field(default_factory=lambda: list(TICKET_KINDS), min_length=1)
    urgent_allowed: bool = False

    @field_validator("kinds")
    @classmethod
    def _unique_kinds(cls, kinds: list[str]) -> list[str]:
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

    kind: TicketKind | None = None
    category: Annotated[list[Key], BeforeValidator(_category_list), Field(min_length=1)] | None = (
        None
    )
    urgent: bool | None = None
    segment: Segment | None = None
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

    @model_validator(mode="after")
    def _check_defaults(self) -> SlaPolicy:
        if self.first_response > self.resolution:
            raise ValueError("default first_response is longer than default resolution")
        return self

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


# --------------------------------------------------------------------------- organisation


class Organisation(_Model):
    """The whole organisation file."""

    timezone: TimezoneName = "Asia/Shanghai"
    default_language: Language = "zh_CN"
    hq: Hq
    regions: list[Region] = []
    projects: list[Project] = []
    staff: list[Staff] = []
    categories: list[Category] = []
    sla: SlaPolicy = SlaPolicy()

    @model_validator(mode="after")
    def _cross_references(self) -> Organisation:
        findings = cross_reference_findings(
            hq=self.hq,
            regions=list(self.regions),
            projects=list(self.projects),
            staff=list(self.staff),
            categories=list(self.categories),
            sla_rules=list(self.sla.rules),
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
        for unit in self.units():
            if unit.key == key:
                return unit
        raise KeyError(f'no hq, region or project with key "{key}"')

    def region(self, key: str) -> Region:
        for region in self.regions:
            if region.key == key:
                return region
        raise KeyError(f'no region with key "{key}"')

    def project(self, key: str) -> Project:
        for project in self.projects:
            if project.key == key:
                return project
        raise KeyError(f'no project with key "{key}"')

    def project_by_prefix(self, ticket_prefix: str) -> Project:
        for project in self.projects:
            if project.ticket_prefix == ticket_prefix:
                return project
        raise KeyError(f'no project with ticket_prefix "{ticket_prefix}"')

    def projects_in(self, region_key: str) -> list[Project]:
        return [project for project in self.projects if project.region == region_key]

    def category(self, key: str) -> Category:
        for category in self.categories:
            if category.key == key:
                return category
        raise KeyError(f'no category with key "{key}"')

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

    def zone(self, project_key: str | None = None) -> ZoneInfo:
        """Timezone of a project (its override, else the organisation's)."""
        name = self.timezone
        if project_key is not None:
            name = self.project(project_key).timezone or name
        return ZoneInfo(name)
