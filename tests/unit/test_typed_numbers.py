"""Ticket numbers as staff type them: any case, the zeros left out, a space for the dash."""

from __future__ import annotations

import pytest

from bot.services.tickets.numbering import format_number, typed_number


@pytest.mark.parametrize(
    ("typed", "number"),
    [
        ("SG-000123", "SG-000123"),
        ("sg-123", "SG-000123"),
        (" sg 7 ", "SG-000007"),
        ("Bj - 42", "BJ-000042"),
        ("SG-1234567", "SG-1234567"),  # past a million: as many digits as it has
    ],
)
def test_a_typed_number_is_the_stored_one(typed: str, number: str) -> None:
    assert typed_number(typed) == number


@pytest.mark.parametrize(
    "text", ["hello", "SG-", "SG123", "漏水 SG-1", "SG-1 漏水", "TOOLONG-1", "-12", ""]
)
def test_anything_else_is_not_a_number(text: str) -> None:
    assert typed_number(text) is None


def test_with_the_prefixes_in_use_a_space_counts_only_after_one_of_them() -> None:
    prefixes = {"SG", "BJ"}
    assert typed_number("sg 7", prefixes) == "SG-000007"
    assert typed_number("Room 302", prefixes) is None
    assert typed_number("Room-302", prefixes) == "ROOM-000302"  # a dash: a number's shape
    assert typed_number("nh-5", prefixes) == "NH-000005"  # a project since removed, say


def test_every_number_given_reads_back_as_itself() -> None:
    for seq in (1, 999_999, 1_000_000):
        assert typed_number(format_number("NH", seq)) == format_number("NH", seq)
