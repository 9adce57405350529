"""Categories offered to residents, and guessing one from free text."""

from __future__ import annotations

import re

from bot.config.orgfile import Category, Organisation
from bot.services.intake.matching import CategoryGuess, KeywordSet, guess_categories

_NAME_PARTS = re.compile(r"[/()()、,,]")


def keyword_sets(org: Organisation) -> list[KeywordSet]:
    """Each category's keywords in both languages, plus the words of its names."""
    found = []
    for category in org.categories:
        words = [*category.keywords.zh, *category.keywords.en]
        for name in (category.name.zh, category.name.en):
            words += [part.strip() for part in _NAME_PARTS.split(name) if part.strip()]
        found.append(KeywordSet(category.key, tuple(words)))
    return found


def categories_for(org: Organisation, kind: str) -> list[Category]:
    return [category for category in org.categories if category.accepts(kind)]


def guess(org: Organisation, text: str, kind: str | None = None) -> list[CategoryGuess]:
    """Likely categories for ``text``, best first; only those offered for ``kind``."""
    guesses = guess_categories(text, keyword_sets(org), org.residents.category_threshold)
    if kind is None:
        return guesses
    return [g for g in guesses if org.category(g.key).accepts(kind)]


def urgent_allowed(org: Organisation, category_key: str | None) -> bool:
    if category_key is None:
        return False
    try:
        return org.category(category_key).urgent_allowed
    except KeyError:
        return False
