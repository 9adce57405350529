from datetime import timedelta

import pytest

from bot.config.orgfile import format_duration, parse_duration


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("45s", timedelta(seconds=45)),
        ("30m", timedelta(minutes=30)),
        ("24h", timedelta(hours=24)),
        ("2d", timedelta(days=2)),
        ("1h30m", timedelta(hours=1, minutes=30)),
        ("1d12h", timedelta(days=1, hours=12)),
        ("1d 2h 3m 4s", timedelta(days=1, hours=2, minutes=3, seconds=4)),
        ("  90m ", timedelta(minutes=90)),
        ("0h5m", timedelta(minutes=5)),
    ],
)
def test_parse_duration_good(text: str, expected: timedelta) -> None:
    assert parse_duration(text) == expected


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("", "invalid duration"),
        ("24", "invalid duration"),
        ("h", "invalid duration"),
        ("24 h", "invalid duration"),
        ("1.5h", "invalid duration"),
        ("-5m", "invalid duration"),
        ("30m1h", "invalid duration"),  # largest unit first
        ("1h1h", "invalid duration"),
        ("2w", "invalid duration"),
        ("24H", "invalid duration"),
        ("２４h", "invalid duration"),  # full-width digits
        ("0s", "greater than zero"),
        ("0h0m", "greater than zero"),
        ("999999999999d", "too long"),
    ],
)
def test_parse_duration_bad(text: str, fragment: str) -> None:
    with pytest.raises(ValueError, match=fragment):
        parse_duration(text)


def test_parse_duration_rejects_numbers_with_a_hint() -> None:
    with pytest.raises(ValueError, match='strings such as "24h"'):
        parse_duration(24)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("td", "text"),
    [
        (timedelta(seconds=45), "45s"),
        (timedelta(minutes=30), "30m"),
        (timedelta(hours=1, minutes=30), "1h30m"),
        (timedelta(hours=24), "24h"),
        (timedelta(hours=48), "48h"),
        (timedelta(hours=72), "72h"),
        (timedelta(days=4), "4d"),
        (timedelta(days=5, hours=6), "5d6h"),
        (timedelta(0), "0s"),
        (timedelta(seconds=61, microseconds=5), "1m1s"),
    ],
)
def test_format_duration(td: timedelta, text: str) -> None:
    assert format_duration(td) == text


def test_format_duration_rejects_negative() -> None:
    with pytest.raises(ValueError):
        format_duration(timedelta(seconds=-1))


@pytest.mark.parametrize("seconds", [1, 59, 60, 3599, 3600, 86_399, 86_400, 345_600, 1_000_001])
def test_round_trip(seconds: int) -> None:
    td = timedelta(seconds=seconds)
    assert parse_duration(format_duration(td)) == td
