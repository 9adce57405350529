"""Counted texts take the form of their number in English; the Chinese wording is one form."""

from __future__ import annotations

from bot.presentation.announcements import progress_text, sent_text
from bot.presentation.stats.texts import csat_text
from bot.services.stats.figures import Satisfaction


def test_a_notice_to_one_resident_is_singular_in_english() -> None:
    assert sent_text(1, None, "en").startswith("📤 Sending to 1 resident.")
    assert sent_text(2, None, "en").startswith("📤 Sending to 2 residents.")
    assert "1 resident received it" in progress_text(1, 0, 0, True, "en")
    assert "3 residents received it" in progress_text(3, 0, 0, True, "en")


def test_the_chinese_wording_is_unchanged() -> None:
    assert "1" in sent_text(1, None, "zh_CN") and "resident" not in sent_text(1, None, "zh_CN")
    assert sent_text(1, None, "zh_CN").replace("1", "2") == sent_text(2, None, "zh_CN")


def test_ratings_are_counted() -> None:
    one = Satisfaction(ratings=1, satisfied=1, score_sum=5)
    assert "(1 rating, mean 5.0/5)" in csat_text("en", one)
