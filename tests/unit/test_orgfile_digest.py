"""The organisation file's [digest] table."""

from __future__ import annotations

from datetime import time

import pytest
from pydantic import ValidationError

from bot.config.orgfile import EXAMPLE_ORGANISATION_PATH, load_organisation
from bot.config.orgfile.models import DigestPolicy


def test_digest_is_off_unless_the_file_turns_it_on() -> None:
    assert DigestPolicy() == DigestPolicy(enabled=False, time="08:30")
    example = load_organisation(EXAMPLE_ORGANISATION_PATH).digest
    assert example.enabled and example.time_of_day == time(8, 30)


@pytest.mark.parametrize("value", ["8:30", "24:00", "08:60", "0830", "08:30:00", ""])
def test_digest_time_must_be_hh_mm(value: str) -> None:
    with pytest.raises(ValidationError, match="HH:MM"):
        DigestPolicy(enabled=True, time=value)


def test_digest_rejects_unknown_keys() -> None:
    with pytest.raises(ValidationError):
        DigestPolicy.model_validate({"enabled": True, "at": "08:00"})
