"""The [sla] additions: ladders, warnings, business calendars, each problem with its place."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from bot.config.orgfile import (
    EXAMPLE_ORGANISATION_PATH,
    SlaPolicy,
    check_organisation,
    load_organisation,
)
from tests.conftest import FIXTURES


def with_sla(tmp_path: Path, extra: str) -> Path:
    path = tmp_path / "organisation.toml"
    path.write_text((FIXTURES / "organisation.toml").read_text() + extra, encoding="utf-8")
    return path


def test_the_example_file_has_ladders_a_warning_and_a_business_calendar() -> None:
    sla = load_organisation(EXAMPLE_ORGANISATION_PATH).sla
    assert [level.to for level in sla.escalation.response] == ["project", "region", "hq"]
    assert len(sla.escalation.resolution) == 4
    assert sla.warning is not None and sla.warning.percent == 75
    name, calendar = sla.calendar_for("binjiang") or (None, None)
    assert name == "office-hours" and calendar is not None and calendar.holidays == "CN"
    assert sla.calendar_for("sunshine") is None  # 24/7


def test_calendar_problems_are_reported_with_their_place(tmp_path: Path) -> None:
    path = with_sla(
        tmp_path,
        """
[sla.calendars.a]
projects = ["plaza", "nowhere"]
hours = { mon = "09:00-18:00" }

[sla.calendars.b]
projects = ["plaza"]
hours = { tue = "09:00-18:00" }
""",
    )
    problems = {(p.place, p.message) for p in check_organisation(path)}
    assert ("sla.calendars.a.projects[2]", 'unknown project "nowhere" (defined: "sunshine", '
            '"plaza")') in problems  # fmt: skip
    assert ("sla.calendars.b.projects[1]", 'project "plaza" is already in calendar "a"') in problems


@pytest.mark.parametrize(
    ("calendar", "message"),
    [
        ({"hours": {"mon": "9-18"}}, 'expected "HH:MM-HH:MM"'),
        ({"hours": {"mon": "18:00-09:00"}}, "must end after they start"),
        ({"hours": {"mon": ["09:00-13:00", "12:00-18:00"]}}, "overlap"),
        ({"hours": {"monday": "09:00-18:00"}}, "monday"),
        ({"hours": {"mon": "09:00-18:00"}, "holidays": "XX"}, "unknown holidays"),
        ({"hours": {"mon": "09:00-18:00"}, "closures": ["2026-02-30"]}, "invalid closure"),
        ({"hours": {"mon": "09:00-18:00"}, "closures": ["2026-03-02..2026-03-01"]}, "ends before"),
        ({"hours": {}}, "at least 1"),
    ],
)
def test_calendar_values_are_checked(calendar: dict, message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        SlaPolicy.model_validate({"calendars": {"office": {"projects": ["plaza"], **calendar}}})


def test_a_ladder_may_have_up_to_six_levels_in_increasing_order() -> None:
    levels = [{"to": "project"}] + [{"to": "hq", "after": f"{n}h"} for n in range(1, 6)]
    assert (
        len(SlaPolicy.model_validate({"escalation": {"resolution": levels}}).escalation.resolution)
        == 6
    )
    with pytest.raises(ValidationError, match="at most 6"):
        SlaPolicy.model_validate(
            {"escalation": {"resolution": [*levels, {"to": "hq", "after": "9h"}]}}
        )
    with pytest.raises(ValidationError, match="to"):
        SlaPolicy.model_validate({"escalation": {"response": [{"to": "ceo"}]}})
