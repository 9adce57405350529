"""Deadline arithmetic: around the clock, business hours, holidays, make-up days, DST."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.config.orgfile.models import SlaCalendar
from bot.services.sla.calendars import ALWAYS_OPEN, BusinessHours, business_hours

H = timedelta(hours=1)
M = timedelta(minutes=1)
SHANGHAI = ZoneInfo("Asia/Shanghai")
BERLIN = ZoneInfo("Europe/Berlin")
NEW_YORK = ZoneInfo("America/New_York")
WEEKDAYS_9_TO_6 = {day: "09:00-18:00" for day in ("mon", "tue", "wed", "thu", "fri")}


def local(zone: ZoneInfo, *parts: int) -> datetime:
    return datetime(*parts, tzinfo=zone)


def office(zone: ZoneInfo = SHANGHAI, **config) -> BusinessHours:
    settings = {"projects": ["p"], "hours": WEEKDAYS_9_TO_6, **config}
    return business_hours(SlaCalendar.model_validate(settings), zone)


# ------------------------------------------------------------------ 24/7


def test_around_the_clock_counts_real_time() -> None:
    start = local(SHANGHAI, 2026, 11, 6, 23, 30)  # a Friday night
    assert ALWAYS_OPEN.add(start, 24 * H) == local(SHANGHAI, 2026, 11, 7, 23, 30)
    assert ALWAYS_OPEN.between(start, start + 30 * H) == 30 * H
    assert ALWAYS_OPEN.add(start, -2 * H) == start - 2 * H


def test_around_the_clock_over_a_dst_change_is_24_real_hours() -> None:
    saturday_noon = local(BERLIN, 2026, 3, 28, 12)  # clocks go forward that night
    due = ALWAYS_OPEN.add(saturday_noon, 24 * H)
    assert due.astimezone(BERLIN) == local(BERLIN, 2026, 3, 29, 13)  # the local clock skipped 1h


# ------------------------------------------------------------------ business hours


def test_within_one_working_day() -> None:
    monday_10 = local(SHANGHAI, 2026, 11, 2, 10)
    assert office().add(monday_10, 4 * H) == local(SHANGHAI, 2026, 11, 2, 14)


def test_across_a_night() -> None:
    monday_16 = local(SHANGHAI, 2026, 11, 2, 16)
    assert office().add(monday_16, 4 * H) == local(SHANGHAI, 2026, 11, 3, 11)


def test_across_a_weekend() -> None:
    friday_16 = local(SHANGHAI, 2026, 11, 6, 16)
    assert office().add(friday_16, 4 * H) == local(SHANGHAI, 2026, 11, 9, 11)
    assert office().between(friday_16, local(SHANGHAI, 2026, 11, 9, 11)) == 4 * H


def test_lunch_break_is_not_counted() -> None:
    hours = {"mon": ["09:00-12:00", "13:30-18:00"]}
    cal = office(hours=hours)
    assert cal.add(local(SHANGHAI, 2026, 11, 2, 11), 2 * H) == local(SHANGHAI, 2026, 11, 2, 14, 30)


def test_a_deadline_that_ends_exactly_at_closing_time_is_the_closing_time() -> None:
    monday_9 = local(SHANGHAI, 2026, 11, 2, 9)
    assert office().add(monday_9, 9 * H) == local(SHANGHAI, 2026, 11, 2, 18)
    # ...and one second more is the next morning.
    assert office().add(monday_9, 9 * H + timedelta(seconds=1)) == local(
        SHANGHAI, 2026, 11, 3, 9, 0, 1
    )


def test_created_outside_opening_hours_starts_counting_at_the_next_opening() -> None:
    cal = office()
    assert cal.add(local(SHANGHAI, 2026, 11, 2, 20), H) == local(SHANGHAI, 2026, 11, 3, 10)
    assert cal.add(local(SHANGHAI, 2026, 11, 3, 7), H) == local(SHANGHAI, 2026, 11, 3, 10)
    sunday = local(SHANGHAI, 2026, 11, 8, 15)
    assert cal.add(sunday, 30 * M) == local(SHANGHAI, 2026, 11, 9, 9, 30)
    assert not cal.is_open(sunday) and cal.is_open(local(SHANGHAI, 2026, 11, 9, 9))


def test_created_on_a_chinese_public_holiday_waits_for_the_first_working_day() -> None:
    cal = office(holidays="CN")
    national_day = local(SHANGHAI, 2026, 10, 2, 10)  # a Friday inside the 1–7 October holiday
    assert cal.add(national_day, 2 * H) == local(SHANGHAI, 2026, 10, 8, 11)
    # Without the holiday table it would be the same Friday.
    assert office().add(national_day, 2 * H) == local(SHANGHAI, 2026, 10, 2, 12)


def test_a_chinese_make_up_saturday_is_a_working_day() -> None:
    friday_17 = local(SHANGHAI, 2026, 10, 9, 17)  # Saturday 10 October 2026 is worked (调休)
    assert office(holidays="CN").add(friday_17, 2 * H) == local(SHANGHAI, 2026, 10, 10, 10)
    assert office().add(friday_17, 2 * H) == local(SHANGHAI, 2026, 10, 12, 10)


def test_make_up_day_hours_can_be_configured() -> None:
    cal = office(holidays="CN", makeup_hours="10:00-16:00")
    friday_17 = local(SHANGHAI, 2026, 10, 9, 17)
    assert cal.add(friday_17, 2 * H) == local(SHANGHAI, 2026, 10, 10, 11)


def test_other_countries_use_their_public_holidays() -> None:
    cal = office(ZoneInfo("Asia/Singapore"), holidays="SG")
    christmas_eve = local(ZoneInfo("Asia/Singapore"), 2026, 12, 24, 17)  # Thursday
    # Christmas Day (Friday) is a public holiday in Singapore: next is Monday the 28th.
    expected = local(ZoneInfo("Asia/Singapore"), 2026, 12, 28, 10)
    assert cal.add(christmas_eve, 2 * H) == expected


def test_local_closures_from_the_file() -> None:
    cal = office(closures=["2026-11-03", "2026-11-05..2026-11-06"])
    monday_17 = local(SHANGHAI, 2026, 11, 2, 17)
    assert cal.add(monday_17, 2 * H) == local(SHANGHAI, 2026, 11, 4, 10)
    assert cal.add(local(SHANGHAI, 2026, 11, 4, 17), 2 * H) == local(SHANGHAI, 2026, 11, 9, 10)


def test_a_project_in_another_timezone_counts_its_own_office_hours() -> None:
    new_york = office(NEW_YORK)
    # 13:00 UTC on a Monday is 08:00 in New York (EST): the office opens at 09:00.
    start = datetime(2026, 11, 2, 13, 0, tzinfo=UTC)
    assert new_york.add(start, 2 * H) == local(NEW_YORK, 2026, 11, 2, 11)
    # The same instant is 21:00 in Shanghai, after closing: next morning there.
    assert office().add(start, 2 * H) == local(SHANGHAI, 2026, 11, 3, 11)


def test_business_hours_across_a_dst_change() -> None:
    friday_16 = local(BERLIN, 2026, 3, 27, 16)  # CET; Monday is CEST
    due = office(BERLIN).add(friday_16, 4 * H)
    assert due.astimezone(BERLIN) == local(BERLIN, 2026, 3, 30, 11)
    assert due - friday_16.astimezone(UTC) == timedelta(days=2, hours=18)  # 1h fewer than in winter
    assert office(BERLIN).between(friday_16, due) == 4 * H


def test_a_day_with_a_dst_change_counts_its_real_hours() -> None:
    all_day = {day: "00:00-24:00" for day in ("sat", "sun", "mon")}
    cal = office(BERLIN, hours=all_day)
    spring = local(BERLIN, 2026, 3, 29)  # 23 real hours
    autumn = local(BERLIN, 2026, 10, 25)  # 25 real hours
    assert cal.between(spring, local(BERLIN, 2026, 3, 30)) == 23 * H
    assert cal.between(autumn, local(BERLIN, 2026, 10, 26)) == 25 * H
    assert cal.add(spring, 24 * H).astimezone(BERLIN) == local(BERLIN, 2026, 3, 30, 1)


def test_counting_backwards_for_warnings() -> None:
    tuesday_10 = local(SHANGHAI, 2026, 11, 3, 10)
    assert office().add(tuesday_10, -2 * H) == local(SHANGHAI, 2026, 11, 2, 17)
    # Exactly at opening time counting back stops there; one more hour is the evening before.
    assert office().add(local(SHANGHAI, 2026, 11, 2, 11), -2 * H) == local(SHANGHAI, 2026, 11, 2, 9)
    assert office().add(local(SHANGHAI, 2026, 11, 2, 11), -3 * H) == local(
        SHANGHAI, 2026, 10, 30, 17
    )


def test_between_is_signed() -> None:
    a, b = local(SHANGHAI, 2026, 11, 2, 10), local(SHANGHAI, 2026, 11, 3, 10)
    assert office().between(a, b) == 9 * H
    assert office().between(b, a) == -9 * H


def test_add_and_between_agree_everywhere() -> None:
    rng = random.Random(20261102)
    cal = office(holidays="CN", hours={**WEEKDAYS_9_TO_6, "sat": ["09:00-12:00"]})
    base = local(SHANGHAI, 2026, 9, 20)
    for _ in range(300):
        start = base + timedelta(minutes=rng.randrange(0, 60 * 24 * 60))
        amount = timedelta(minutes=rng.randrange(1, 60 * 40))
        due = cal.add(start, amount)
        assert cal.between(start, due) == amount
        assert cal.is_open(due - timedelta(seconds=1))
        back = cal.add(due, -amount)
        assert cal.between(back, due) == amount
        assert cal.between(min(back, start), max(back, start)) == timedelta(0)


def test_a_calendar_that_is_never_open_is_refused() -> None:
    with pytest.raises(ValueError, match="opening hours"):
        BusinessHours(SHANGHAI, {})
