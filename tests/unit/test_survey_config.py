"""The [survey] table of the organisation file, and the survey buttons' packed format."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.app.context import Context
from bot.config.orgfile import EXAMPLE_ORGANISATION_PATH, check_organisation, load_organisation
from bot.config.orgfile.models import SurveyPolicy
from bot.presentation.buttons.surveys import SurveyAction, SurveyButton
from bot.services.surveys.campaigns import last_scheduled_time
from tests.conftest import FIXTURES


def test_default_questionnaire_is_appendix_b() -> None:
    policy = SurveyPolicy()
    assert [(q.key, q.kind) for q in policy.questions] == [
        ("overall", "rating"),
        ("cleanliness", "rating"),
        ("security", "rating"),
        ("repairs", "rating"),
        ("staff_attitude", "rating"),
        ("communication", "rating"),
        ("nps", "nps"),
        ("suggestion", "text"),
    ]
    assert all(q.text.get("zh_CN") and q.text.get("en") for q in policy.questions)
    assert policy.auto_close_after == timedelta(days=3)
    assert policy.reminder_after < policy.auto_close_after
    assert [c.key for c in policy.reasons_for(1)] == [
        "slow",
        "not_fixed_properly",
        "rude",
        "no_updates",
    ]
    assert [c.key for c in policy.reasons_for(5)] == ["fast", "polite", "good_quality"]
    assert policy.is_low(2) and not policy.is_low(3)


def test_the_shipped_example_spells_out_the_defaults() -> None:
    assert load_organisation(EXAMPLE_ORGANISATION_PATH).survey == SurveyPolicy()


def test_the_test_organisation_has_a_short_questionnaire() -> None:
    org = load_organisation(FIXTURES / "organisation.toml")
    assert [q.kind for q in org.survey.questions] == ["rating", "nps", "text"]


def _with_survey(tmp_path: Path, survey: str) -> list[str]:
    base = (FIXTURES / "organisation.toml").read_text(encoding="utf-8")
    base = base[: base.index("# Surveys:")]
    path = tmp_path / "org.toml"
    path.write_text(base + survey, encoding="utf-8")
    return [f"{p.place}: {p.message}" for p in check_organisation(path)]


@pytest.mark.parametrize(
    ("survey", "expected"),
    [
        ('[survey]\nreminder_after = "3d"\nauto_close_after = "2d"\n', "reminder_after must be"),
        ("[survey]\nlow_score = 4\npraise_from = 4\n", "low_score must be below praise_from"),
        ("[survey]\nlow_score = 5\n", "less than or equal to 4"),
        ('[survey]\nschedule = "every monday"\n', "invalid cron schedule"),
        ('[survey]\nschedule = "0 10 * * 1"\n', "as a name (mon, tue"),
        (
            '[survey]\n[[survey.questions]]\nkey = "recommend"\nkind = "nps"\n'
            'text = { zh = "推荐？", en = "Recommend?" }\n',
            'the "nps" question',
        ),
        (
            '[survey]\n[[survey.questions]]\nkey = "a"\ntext = { zh = "甲", en = "A" }\n'
            '[[survey.questions]]\nkey = "a"\ntext = { zh = "乙", en = "B" }\n',
            'duplicate question key "a"',
        ),
        (
            '[survey]\n[[survey.questions]]\nkey = "a"\nkind = "stars"\n',
            "'rating', 'nps' or 'text'",
        ),
        ("[survey]\nquestions = []\n", "at least 1"),
        ('[survey]\nfrobnicate = "yes"\n', "frobnicate"),
    ],
)
def test_bad_survey_settings_are_reported(tmp_path: Path, survey: str, expected: str) -> None:
    problems = _with_survey(tmp_path, survey)
    assert problems and any(expected in p for p in problems), problems


def test_a_good_schedule_and_custom_reasons_load(tmp_path: Path) -> None:
    problems = _with_survey(
        tmp_path,
        '[survey]\nschedule = "30 9 1 */3 mon-fri/2"\npraise_from = 5\n'
        '[[survey.high_reasons]]\nkey = "tidy"\nname = { zh = "整洁", en = "Tidy" }\n',
    )
    assert problems == []


def test_the_schedule_fires_once_in_its_minute_in_the_organisation_timezone() -> None:
    org = load_organisation(FIXTURES / "organisation.toml")
    schedule = "0 10 1 * *"  # 10:00 Shanghai on the 1st = 02:00 UTC

    def due(at: datetime) -> datetime | None:
        return last_scheduled_time(schedule, Context(org, at))

    fire = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)
    assert due(fire - timedelta(minutes=1)) is None
    assert due(fire) == fire
    assert due(fire + timedelta(minutes=59)) == fire  # late but within the grace hour
    assert due(fire + timedelta(hours=2)) is None  # the bot was down: skipped, not sent late


@pytest.mark.parametrize(
    ("action", "target", "position", "value"),
    [
        ("rate", 12, 0, "5"),
        ("why", 3, 0, "not_fixed_properly"),
        ("go", 99, 0, ""),
        ("ans", 7, 6, "10"),
        ("followup", 4242, 0, ""),
    ],
)
def test_survey_buttons_keep_their_packed_format(
    action: str, target: int, position: int, value: str
) -> None:
    # Buttons already sent carry this format: it must not change.
    packed = f"sv:{action}:{target}:{position}:{value}"
    button = SurveyButton(
        action=SurveyAction(action), target_id=target, position=position, value=value
    )
    assert packed == button.pack()
    assert SurveyButton.unpack(packed).value == value
    assert len(packed.encode()) <= 64  # Telegram's limit for callback_data
