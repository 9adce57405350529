"""Finding the FAQ entry a resident's question is about (bot/services/faq.py), on the
example organisation's FAQ."""

from __future__ import annotations

from pathlib import Path

import pytest

import bot
from bot.config.orgfile import Organisation
from bot.config.orgfile.loader import load_organisation
from bot.services import faq
from bot.services.intake.quick import reads_as_question


@pytest.fixture(scope="module")
def org() -> Organisation:
    return load_organisation(Path(bot.__file__).parent / "examples" / "organisation.toml")


@pytest.mark.parametrize(
    ("question", "key"),
    [
        ("Where can I park my car overnight?", "parking"),  # "parking", asked as "park"
        ("How do I get a parking card?", "parking"),
        ("小区停车卡怎么办？", "parking"),
        ("What do I need to renovate my flat?", "renovation"),
        ("When is the service centre open?", "office-hours"),
    ],
)
def test_a_question_finds_its_entry(org: Organisation, question: str, key: str) -> None:
    found = faq.match(org, question)
    assert found is not None and found.entry.key == key


def test_a_message_about_nothing_in_the_faq_finds_nothing(org: Organisation) -> None:
    assert faq.match(org, "The lift on the 3rd floor makes a grinding noise") is None


def test_a_question_that_names_a_category_needs_a_clear_match(org: Organisation) -> None:
    """Asked about a category of problem, one keyword is not enough to answer instead."""
    question = "Where can I park my car overnight?"  # "parking" and "car park": two
    found = faq.match(org, question, confident=True)
    assert found is not None and found.entry.key == "parking"
    taken = "我的车位被占了怎么办？"  # a parking space taken: one keyword, no answer
    assert faq.match(org, taken) is not None
    assert faq.match(org, taken, confident=True) is None


def test_a_complaint_put_as_a_question_does_not_read_as_one() -> None:
    assert reads_as_question("Where can I park my car overnight?")
    assert not reads_as_question("我的车位被占了怎么办？")  # a complaint


def test_before_filing_a_report_or_a_danger_gets_no_answer(org: Organisation) -> None:
    question = "Where can I park my car overnight?"
    found = faq.answer_before_filing(org, question, "parking")
    assert found is not None and found.entry.key == "parking"
    assert faq.answer_before_filing(org, "Someone parked in my car park space", "parking") is None
    danger = "I smell gas near the car park, where do I get a parking card?"
    assert faq.answer_before_filing(org, danger, "parking") is None  # the hotline first
    assert faq.answers_at_once(org, question)
    assert not faq.answers_at_once(org, "我的车位被占了怎么办？")
