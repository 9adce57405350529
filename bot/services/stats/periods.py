"""Reporting periods: ``today``, ``yesterday``, ``7d``, ``2026-11``, ``2026-11-05``,
``2026-11-01..2026-11-15``, always whole local days in the organisation's timezone.

A period is the half-open interval ``[start, end)`` in UTC, from the local midnight
of its first day to the local midnight after its last day. Daily series bucket by
local day, so the boundaries (``midnights``) are worked out here, DST included.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

MAX_DAYS = 800  # a little over two years
_DAYS = re.compile(r"(\d{1,3})d")
_MONTH = re.compile(r"(\d{4})-(\d{2})")
_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")
_CJK_DAYS = re.compile(r"(?:近|最近|过去)?(\d{1,3})(?:天|日)")
# Periods people name, in both languages ("上月", "last month"): one canonical name each.
# Phrases of several words arrive joined with "_" (see :func:`join_period_phrases`).
NAMED_PERIODS = {
    "today": "today", "今天": "today", "今日": "today",
    "yesterday": "yesterday", "昨天": "yesterday", "昨日": "yesterday",
    "week": "this_week", "this_week": "this_week", "本周": "this_week", "这周": "this_week",
    "这个星期": "this_week", "本星期": "this_week",
    "last_week": "last_week", "上周": "last_week", "上个星期": "last_week", "上星期": "last_week",
    "month": "this_month", "this_month": "this_month", "本月": "this_month", "这个月": "this_month",
    "last_month": "last_month", "上月": "last_month", "上个月": "last_month",
    "year": "this_year", "this_year": "this_year", "今年": "this_year", "本年": "this_year",
    "last_year": "last_year", "去年": "last_year",
}  # fmt: skip
_PHRASES = re.compile(r"\b(this|last)\s+(week|month|year)\b", re.IGNORECASE)


def join_period_phrases(text: str) -> str:
    """ "last month" → "last_month", so that a period is one word among the arguments."""
    return _PHRASES.sub(lambda m: f"{m.group(1).lower()}_{m.group(2).lower()}", text)


def _named(name: str, today: date, zone: ZoneInfo) -> Period:
    monday = today - timedelta(days=today.weekday())
    first_of_month = today.replace(day=1)
    if name == "today":
        return Period(today, today, zone)
    if name == "yesterday":
        return Period(today - timedelta(days=1), today - timedelta(days=1), zone)
    if name == "this_week":
        return Period(monday, today, zone)
    if name == "last_week":
        return Period(monday - timedelta(days=7), monday - timedelta(days=1), zone)
    if name == "this_month":
        return Period(first_of_month, today, zone)
    if name == "last_month":
        last = first_of_month - timedelta(days=1)
        return Period(last.replace(day=1), last, zone)
    if name == "this_year":
        return Period(date(today.year, 1, 1), today, zone)
    return Period(date(today.year - 1, 1, 1), date(today.year - 1, 12, 31), zone)


class PeriodError(ValueError):
    """The text is not a period we understand (or an impossible one)."""


@dataclass(frozen=True)
class Period:
    first_day: date
    last_day: date  # inclusive
    zone: ZoneInfo

    def __post_init__(self) -> None:
        if self.last_day < self.first_day:
            raise PeriodError("the period ends before it starts")
        if self.day_count > MAX_DAYS:
            raise PeriodError(f"a period can cover at most {MAX_DAYS} days")

    @property
    def day_count(self) -> int:
        return (self.last_day - self.first_day).days + 1

    @property
    def start(self) -> datetime:
        return local_midnight(self.first_day, self.zone)

    @property
    def end(self) -> datetime:
        return local_midnight(self.last_day + timedelta(days=1), self.zone)

    @property
    def days(self) -> list[date]:
        return [self.first_day + timedelta(days=i) for i in range(self.day_count)]

    def midnights(self) -> list[datetime]:
        """UTC instants of each local midnight from ``start`` to ``end`` inclusive."""
        return [
            local_midnight(self.first_day + timedelta(days=i), self.zone)
            for i in range(self.day_count + 1)
        ]

    def days_until(self, now: datetime) -> list[date]:
        """The period's days up to and including the local day of ``now``."""
        today = now.astimezone(self.zone).date()
        return [day for day in self.days if day <= today]

    def label(self) -> str:
        if self.first_day == self.last_day:
            return self.first_day.isoformat()
        return f"{self.first_day.isoformat()} – {self.last_day.isoformat()}"


def local_midnight(day: date, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, time(0), tzinfo=zone).astimezone(UTC)


def is_period(text: str) -> bool:
    try:
        parse_period(text, datetime(2000, 1, 1, tzinfo=UTC), ZoneInfo("UTC"))
    except PeriodError:
        return False
    return True


def parse_period(text: str, now: datetime, zone: ZoneInfo) -> Period:
    """Turn what a manager typed into a :class:`Period` of local days."""
    value = join_period_phrases(text.strip()).lower()
    today = now.astimezone(zone).date()
    if value in NAMED_PERIODS:
        return _named(NAMED_PERIODS[value], today, zone)
    if match := _DAYS.fullmatch(value) or _CJK_DAYS.fullmatch(value):
        count = int(match.group(1))
        if count < 1:
            raise PeriodError("a period needs at least one day")
        if count > MAX_DAYS:
            raise PeriodError(f"a period can cover at most {MAX_DAYS} days")
        return Period(today - timedelta(days=count - 1), today, zone)
    if match := _MONTH.fullmatch(value):
        year, month = int(match.group(1)), int(match.group(2))
        if not 1 <= month <= 12:
            raise PeriodError(f"no month {month}")
        first = date(year, month, 1)
        following = date(year + month // 12, month % 12 + 1, 1)
        return Period(first, following - timedelta(days=1), zone)
    if _DAY.fullmatch(value):
        day = _parse_day(value)
        return Period(day, day, zone)
    if ".." in value:
        first_text, _, last_text = value.partition("..")
        first, last = _parse_day(first_text.strip()), _parse_day(last_text.strip())
        return Period(first, last, zone)
    raise PeriodError(f"not a period: {text!r}")


def _parse_day(text: str) -> date:
    if not _DAY.fullmatch(text):
        raise PeriodError(f"not a date: {text!r}")
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise PeriodError(f"not a date: {text!r}") from None
