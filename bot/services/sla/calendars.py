"""Counting SLA time: around the clock, or only while a project's office is open.

Everything here is pure: instants in, instants out (aware datetimes; results in
UTC). A calendar answers three questions:

- ``add(start, amount)``: the instant at which ``amount`` of counted time has
  passed since ``start`` (a negative amount counts backwards);
- ``between(a, b)``: how much counted time lies between two instants (negative
  when ``b`` is before ``a``);
- ``is_open(moment)``.

Business hours are wall-clock times in the project's timezone, turned into UTC
instants day by day, so a daylight-saving change shortens or lengthens that day's
counted time by the real hour that was skipped or repeated. The decisions behind
the edge cases are written down in docs/sla.md.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, time, timedelta
from enum import Enum
from typing import Protocol
from zoneinfo import ZoneInfo

from bot.config.orgfile.models import SlaCalendar

log = logging.getLogger(__name__)

ZERO = timedelta(0)
# A calendar open less than this often is a configuration mistake, not a calendar.
SEARCH_LIMIT_DAYS = 800


class Calendar(Protocol):
    def add(self, start: datetime, amount: timedelta) -> datetime: ...

    def between(self, a: datetime, b: datetime) -> timedelta: ...

    def is_open(self, moment: datetime) -> bool: ...


class AroundTheClock:
    """24/7: counted time is real elapsed time (the manual's promise is in clock hours)."""

    # In UTC: Python adds and subtracts wall-clock time within one timezone.
    def add(self, start: datetime, amount: timedelta) -> datetime:
        return start.astimezone(UTC) + amount

    def between(self, a: datetime, b: datetime) -> timedelta:
        return b.astimezone(UTC) - a.astimezone(UTC)

    def is_open(self, moment: datetime) -> bool:
        return True


ALWAYS_OPEN = AroundTheClock()


class DayKind(Enum):
    NORMAL = "normal"  # the weekly hours apply
    HOLIDAY = "holiday"  # closed all day
    MAKEUP = "makeup"  # a weekend day worked instead of a holiday (China's 调休)


DayRule = Callable[[date], DayKind]


def normal_days(_day: date) -> DayKind:
    return DayKind.NORMAL


class ChinaHolidays:
    """Mainland China: statutory holidays and make-up working days.

    Both come from the ``chinesecalendar`` package (the State Council's yearly
    notice, maintained upstream). For a year it does not know yet, the
    ``holidays`` package's CN calendar (which also lists make-up days) is used,
    with a warning in the log.
    """

    def __init__(self) -> None:
        self._fallback: object | None = None
        self._warned_years: set[int] = set()

    def __call__(self, day: date) -> DayKind:
        import chinese_calendar

        try:
            is_holiday, name = chinese_calendar.get_holiday_detail(day)
        except NotImplementedError:
            return self._from_holidays_package(day)
        if is_holiday and name is not None:
            return DayKind.HOLIDAY
        if not is_holiday and day.weekday() >= 5:
            return DayKind.MAKEUP
        return DayKind.NORMAL

    def _from_holidays_package(self, day: date) -> DayKind:
        import holidays

        if day.year not in self._warned_years:
            self._warned_years.add(day.year)
            log.warning(
                "chinesecalendar has no data for %s yet; using the holidays package "
                "(update chinesecalendar once the State Council publishes the year)",
                day.year,
            )
        if self._fallback is None:
            self._fallback = holidays.country_holidays("CN")
        fallback = self._fallback
        if day in fallback:  # type: ignore[operator]
            return DayKind.HOLIDAY
        if day in getattr(fallback, "weekend_workdays", ()):
            return DayKind.MAKEUP
        return DayKind.NORMAL


class CountryHolidays:
    """Public holidays of any other country (``holidays`` package): closed all day."""

    def __init__(self, country: str, subdivision: str | None = None) -> None:
        import holidays

        self._holidays = holidays.country_holidays(country, subdiv=subdivision)

    def __call__(self, day: date) -> DayKind:
        return DayKind.HOLIDAY if day in self._holidays else DayKind.NORMAL


def holiday_rule(region: str | None) -> DayRule:
    if region is None:
        return normal_days
    country, _, subdivision = region.partition("-")
    if country == "CN" and not subdivision:
        return ChinaHolidays()
    return CountryHolidays(country, subdivision or None)


Span = tuple[datetime, datetime]


class BusinessHours:
    """Counted time runs only inside opening hours, in ``zone``'s wall-clock time."""

    def __init__(
        self,
        zone: ZoneInfo,
        weekly: dict[int, list[tuple[int, int]]],
        *,
        makeup: list[tuple[int, int]] | None = None,
        day_rule: DayRule = normal_days,
        closed: set[date] | frozenset[date] = frozenset(),
    ) -> None:
        self.zone = zone
        self._weekly = {day: sorted(spans) for day, spans in weekly.items() if spans}
        self._makeup = sorted(makeup or [])
        self._day_rule = day_rule
        self._closed = frozenset(closed)
        self._spans: dict[date, list[Span]] = {}
        if not self._weekly and not self._makeup:
            raise ValueError("a business calendar needs opening hours on at least one day")

    # -- one day ------------------------------------------------------------------

    def minutes_on(self, day: date) -> list[tuple[int, int]]:
        """Opening spans (minutes after local midnight) of one local date."""
        if day in self._closed:
            return []
        kind = self._day_rule(day)
        if kind is DayKind.HOLIDAY:
            return []
        if kind is DayKind.MAKEUP:
            return self._makeup
        return self._weekly.get(day.weekday(), [])

    def spans_on(self, day: date) -> list[Span]:
        """Opening spans of one local date as UTC instants."""
        spans = self._spans.get(day)
        if spans is None:
            spans = [
                (self._instant(day, start), self._instant(day, end))
                for start, end in self.minutes_on(day)
            ]
            spans = [(start, end) for start, end in spans if end > start]
            if len(self._spans) > 4096:
                self._spans.clear()
            self._spans[day] = spans
        return spans

    def _instant(self, day: date, minutes: int) -> datetime:
        # 24:00 is the next midnight. A repeated wall time (clocks going back) is
        # its first occurrence; a skipped one (clocks going forward) is read with
        # the offset from before the change, i.e. an hour later: 02:30 → 03:30.
        wall = datetime.combine(day, time(0)) + timedelta(minutes=minutes)
        return wall.replace(tzinfo=self.zone, fold=0).astimezone(UTC)

    def _local_date(self, moment: datetime) -> date:
        return moment.astimezone(self.zone).date()

    def _days_from(self, moment: datetime, step: int) -> Iterator[date]:
        day = self._local_date(moment)
        for _ in range(SEARCH_LIMIT_DAYS):
            yield day
            day += timedelta(days=step)
        raise ValueError(f"no opening hours within {SEARCH_LIMIT_DAYS} days of {moment}")

    # -- the calendar ---------------------------------------------------------------

    def is_open(self, moment: datetime) -> bool:
        return any(start <= moment < end for start, end in self.spans_on(self._local_date(moment)))

    def add(self, start: datetime, amount: timedelta) -> datetime:
        start = start.astimezone(UTC)
        if amount < ZERO:
            return self._subtract(start, -amount)
        if amount == ZERO:
            return start
        remaining = amount
        for day in self._days_from(start, 1):
            for span_start, span_end in self.spans_on(day):
                if span_end <= start:
                    continue
                begin = max(span_start, start)
                available = span_end - begin
                # Ends exactly at closing time: the deadline is the closing instant.
                if remaining <= available:
                    return begin + remaining
                remaining -= available
        raise AssertionError("unreachable")

    def _subtract(self, end: datetime, amount: timedelta) -> datetime:
        remaining = amount
        for day in self._days_from(end, -1):
            for span_start, span_end in reversed(self.spans_on(day)):
                if span_start >= end:
                    continue
                finish = min(span_end, end)
                available = finish - span_start
                if remaining <= available:
                    return finish - remaining
                remaining -= available
        raise AssertionError("unreachable")

    def between(self, a: datetime, b: datetime) -> timedelta:
        if b < a:
            return -self.between(b, a)
        a, b = a.astimezone(UTC), b.astimezone(UTC)
        total = ZERO
        day, last = self._local_date(a), self._local_date(b)
        while day <= last:
            for span_start, span_end in self.spans_on(day):
                overlap = min(span_end, b) - max(span_start, a)
                if overlap > ZERO:
                    total += overlap
            day += timedelta(days=1)
        return total


def business_hours(config: SlaCalendar, zone: ZoneInfo) -> BusinessHours:
    """The calendar described by an ``[sla.calendars.NAME]`` table, in a project's zone."""
    return BusinessHours(
        zone,
        config.weekly_minutes(),
        makeup=config.makeup_minutes(),
        day_rule=holiday_rule(config.holidays),
        closed=config.closed_days(),
    )
