"""Duration strings used in the organisation file.

A duration is written as one or more ``<whole number><unit>`` parts, units in
descending order and each at most once: ``d`` (days), ``h`` (hours), ``m``
(minutes), ``s`` (seconds). Examples: ``"45s"``, ``"30m"``, ``"24h"``, ``"2d"``,
``"1h30m"``, ``"1d 12h"``. Spaces between parts are allowed; the result must be
greater than zero.
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Annotated, Any

from pydantic import BeforeValidator, PlainSerializer

__all__ = ["Duration", "format_duration", "parse_duration"]

_UNIT_SECONDS = (("d", 86_400), ("h", 3_600), ("m", 60), ("s", 1))
_DAYS_FROM = timedelta(days=4)  # format_duration uses days from this length on

_DURATION_RE = re.compile(
    r"(?:(?P<d>[0-9]+)d)?\s*(?:(?P<h>[0-9]+)h)?\s*(?:(?P<m>[0-9]+)m)?\s*(?:(?P<s>[0-9]+)s)?"
)

_EXPECTED = (
    "expected a whole number followed by s, m, h or d, largest unit first, "
    'e.g. "45s", "30m", "24h", "2d" or "1h30m"'
)


def parse_duration(text: str) -> timedelta:
    """Parse ``"30m"``, ``"24h"``, ``"1h30m"``... into a positive timedelta.

    Raises ValueError with an operator-readable message on anything else.
    """
    if not isinstance(text, str):
        raise ValueError(f'durations are written as strings such as "24h", got {text!r}')
    stripped = text.strip()
    match = _DURATION_RE.fullmatch(stripped)
    if not stripped or match is None or not any(match.groupdict().values()):
        raise ValueError(f'invalid duration "{text}": {_EXPECTED}')
    seconds = sum(int(match[unit] or 0) * factor for unit, factor in _UNIT_SECONDS)
    if seconds <= 0:
        raise ValueError(f'duration "{text}" must be greater than zero')
    try:
        return timedelta(seconds=seconds)
    except OverflowError:
        raise ValueError(f'duration "{text}" is too long') from None


def format_duration(td: timedelta) -> str:
    """Render a timedelta in the file's syntax, largest unit first.

    Below 4 days hours are the largest unit, as SLA texts usually say "24h",
    "48h", "72h"; from 4 days on days are used: ``"30m"``, ``"1h30m"``, ``"48h"``,
    ``"5d"``, ``"4d12h"``. Zero renders as ``"0s"``; sub-second parts are dropped;
    negative durations raise ValueError. ``parse_duration`` reads every result back.
    """
    if td < timedelta(0):
        raise ValueError(f"cannot format a negative duration ({td})")
    remaining = td.days * 86_400 + td.seconds
    if remaining == 0:
        return "0s"
    units = _UNIT_SECONDS if td >= _DAYS_FROM else _UNIT_SECONDS[1:]
    parts: list[str] = []
    for unit, factor in units:
        amount, remaining = divmod(remaining, factor)
        if amount:
            parts.append(f"{amount}{unit}")
    return "".join(parts)


def _coerce_duration(value: Any) -> Any:
    if isinstance(value, timedelta):
        if value <= timedelta(0):
            raise ValueError(f"duration must be greater than zero, got {value}")
        return value
    return parse_duration(value)


Duration = Annotated[
    timedelta,
    BeforeValidator(_coerce_duration),
    PlainSerializer(format_duration, return_type=str, when_used="json"),
]
"""Pydantic field type: accepts duration strings (or timedelta), stores a timedelta."""
