"""Reporting periods, arguments of /stats and /export, and how figures are written."""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.presentation.stats.texts import duration, pack_messages, pct
from bot.services.stats.figures import Compliance, Nps, Satisfaction
from bot.services.stats.periods import PeriodError, parse_period
from bot.services.stats.requests import ArgumentError, StatsRequest, parse_arguments

SHANGHAI = ZoneInfo("Asia/Shanghai")
# 00:30 on 3 November in Shanghai is still the 2nd in UTC.
NOW = datetime(2026, 11, 2, 16, 30, tzinfo=UTC)


def test_today_is_the_local_day() -> None:
    period = parse_period("today", NOW, SHANGHAI)
    assert (period.first_day, period.last_day) == (date(2026, 11, 3), date(2026, 11, 3))
    assert period.start == datetime(2026, 11, 2, 16, 0, tzinfo=UTC)
    assert period.end == datetime(2026, 11, 3, 16, 0, tzinfo=UTC)


def test_n_days_end_today() -> None:
    period = parse_period("7d", NOW, SHANGHAI)
    assert (period.first_day, period.last_day) == (date(2026, 10, 28), date(2026, 11, 3))
    assert period.day_count == 7
    yesterday = parse_period("yesterday", NOW, SHANGHAI)
    assert yesterday.first_day == yesterday.last_day == date(2026, 11, 2)


def test_month_and_range() -> None:
    february = parse_period("2028-02", NOW, SHANGHAI)
    assert (february.first_day, february.last_day) == (date(2028, 2, 1), date(2028, 2, 29))
    december = parse_period("2026-12", NOW, SHANGHAI)
    assert december.last_day == date(2026, 12, 31)
    span = parse_period("2026-11-01..2026-11-15", NOW, SHANGHAI)
    assert span.day_count == 15 and span.label() == "2026-11-01 – 2026-11-15"
    assert parse_period("2026-11-05", NOW, SHANGHAI).label() == "2026-11-05"


@pytest.mark.parametrize(
    "text",
    ["", "0d", "801d", "2026-13", "2026-11-31", "2026-11-15..2026-11-01", "next week", "7 d"],
)
def test_nonsense_is_refused(text: str) -> None:
    with pytest.raises(PeriodError):
        parse_period(text, NOW, SHANGHAI)


def test_midnights_follow_daylight_saving() -> None:
    berlin = ZoneInfo("Europe/Berlin")
    period = parse_period("2026-10-24..2026-10-26", NOW, berlin)
    midnights = period.midnights()
    lengths = [b - a for a, b in itertools.pairwise(midnights)]
    assert lengths == [timedelta(hours=24), timedelta(hours=25), timedelta(hours=24)]


def test_arguments_in_any_order() -> None:
    assert parse_arguments(None) == StatsRequest("30d", None, False, False)
    assert parse_arguments("7d sunshine text") == StatsRequest("7d", "sunshine", True, False)
    assert parse_arguments("east CSV 2026-11") == StatsRequest("2026-11", "east", False, True)
    assert parse_arguments("阳光花园").scope_key == "阳光花园"
    for bad in ("7d 30d", "sunshine plaza", "2026-13", "7days"):
        with pytest.raises(ArgumentError):
            parse_arguments(bad)


def test_figures_and_their_writing() -> None:
    assert Compliance(4, 2).rate == pytest.approx(200 / 3) and Compliance().rate is None
    assert Satisfaction(5, 2, 15).csat == 40.0 and Satisfaction(5, 2, 15).mean == 3.0
    assert Nps(5, 3, 1).score == 40.0 and Nps().score is None
    assert pct(66.66) == "67%" and pct(None) == "–"
    assert [duration("en", s) for s in (90, 3600, 64080, 194400)] == [
        "2 min",
        "1 h",
        "17.8 h",
        "2.2 d",
    ]
    assert duration("zh_CN", 1800) == "30 分钟"


def test_long_reports_are_split_between_sections_never_inside_a_line() -> None:
    sections = ["\n".join(f"line {i}-{j} " + "x" * 80 for j in range(20)) for i in range(5)]
    messages = pack_messages(sections, limit=2000)
    assert all(len(m) <= 2000 for m in messages)
    assert sum(m.count("\n") + 1 for m in messages) >= 100
    joined = "\n".join(messages)
    assert all(f"line {i}-{j} " in joined for i in range(5) for j in range(20))


# Local today is Tuesday 3 November 2026.
@pytest.mark.parametrize(
    ("typed", "first", "last"),
    [
        ("本周", date(2026, 11, 2), date(2026, 11, 3)),
        ("this week", date(2026, 11, 2), date(2026, 11, 3)),
        ("week", date(2026, 11, 2), date(2026, 11, 3)),
        ("上周", date(2026, 10, 26), date(2026, 11, 1)),
        ("Last Week", date(2026, 10, 26), date(2026, 11, 1)),
        ("本月", date(2026, 11, 1), date(2026, 11, 3)),
        ("上月", date(2026, 10, 1), date(2026, 10, 31)),
        ("上个月", date(2026, 10, 1), date(2026, 10, 31)),
        ("last month", date(2026, 10, 1), date(2026, 10, 31)),
        ("今年", date(2026, 1, 1), date(2026, 11, 3)),
        ("去年", date(2025, 1, 1), date(2025, 12, 31)),
        ("昨天", date(2026, 11, 2), date(2026, 11, 2)),
        ("近7天", date(2026, 10, 28), date(2026, 11, 3)),
        ("30天", date(2026, 10, 5), date(2026, 11, 3)),
    ],
)
def test_periods_people_name(typed: str, first: date, last: date) -> None:
    period = parse_period(typed, NOW, SHANGHAI)
    assert (period.first_day, period.last_day) == (first, last)


def test_a_named_period_of_two_words_among_the_arguments() -> None:
    assert parse_arguments("last month sunshine text") == StatsRequest(
        "last_month", "sunshine", True, False
    )
    assert parse_arguments("上月 sunshine").period == "上月"
    assert parse_arguments("this week").period == "this_week"
