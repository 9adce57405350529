"""The built-in property-service lexicon (``lexicon.toml`` beside this module).

Only the data, read once: topics with their weighted words in Chinese and English,
the small-talk word classes, English words never taken for typos, and common English
misspellings. How the words are compared lives in ``words.py`` and ``matching.py``;
how topics map onto an organisation's categories in ``categories.py``.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

# Points a word gives its topic, by the group it is listed in.
WEIGHTS = {"problem": 3, "thing": 2, "hint": 1}
ANCHORED_WEIGHT = 2
PROBLEM_WEIGHT = WEIGHTS["problem"]

# Small-talk word classes, in lexicon.toml's [small_talk].
GREETING, THANKS, ACK, FAREWELL, BOT = "greeting", "thanks", "ack", "farewell", "bot"
RESOLVED, TROUBLE, STOPWORDS = "resolved", "trouble", "stopwords"
NEWS = "news"  # asking how a request is getting on ("进度", "any news")
SMALL_TALK_CLASSES = (GREETING, THANKS, ACK, FAREWELL, BOT, RESOLVED, TROUBLE, STOPWORDS, NEWS)


@dataclass(frozen=True)
class Topic:
    """One kind of problem (water, lifts, …) and the words residents use for it."""

    id: str
    aliases: tuple[str, ...]  # category keys or name words that mean this topic
    fallback: tuple[str, ...]  # topics whose category takes this one's words if none has it
    terms: tuple[tuple[str, int], ...]  # (word or phrase, points)
    anchored: tuple[tuple[str, int], ...] = ()  # count only beside one of the terms


@dataclass(frozen=True)
class ProblemSigns:
    """What says a message is about a problem, a request or a question (``[problem_signs]``)."""

    zh_chars: tuple[str, ...]  # in a Chinese word: 坏了, 漏水, 不亮, 没电
    zh_fine: frozenset[str]  # Chinese words with such a character that say nothing is wrong
    en: frozenset[str]  # English words (as written or stemmed)


@dataclass(frozen=True)
class Lexicon:
    topics: tuple[Topic, ...]
    small_talk: dict[str, tuple[str, ...]]  # class → words and phrases (both languages)
    common_words: frozenset[str]  # English words never read as a typo
    typos: dict[str, str]  # English misspelling → the word meant
    problem_signs: ProblemSigns = ProblemSigns((), frozenset(), frozenset())

    def topic(self, topic_id: str) -> Topic:
        for topic in self.topics:
            if topic.id == topic_id:
                return topic
        raise KeyError(topic_id)

    @property
    def topic_ids(self) -> tuple[str, ...]:
        return tuple(topic.id for topic in self.topics)


def _both(table: dict[str, Any]) -> list[str]:
    return [*table.get("zh", []), *table.get("en", [])]


def _topic(topic_id: str, table: dict[str, Any]) -> Topic:
    terms: dict[str, int] = {}
    for group, weight in WEIGHTS.items():
        for word in _both(table.get(group, {})):
            terms[word] = max(weight, terms.get(word, 0))
    return Topic(
        id=topic_id,
        aliases=tuple(table.get("aliases", [])),
        fallback=tuple(table.get("fallback", [])),
        terms=tuple(terms.items()),
        anchored=tuple((word, ANCHORED_WEIGHT) for word in _both(table.get("anchored", {}))),
    )


def parse(data: dict[str, Any]) -> Lexicon:
    topics = tuple(_topic(key, table) for key, table in data["topics"].items())
    known = {topic.id for topic in topics}
    for topic in topics:
        unknown = set(topic.fallback) - known
        if unknown:
            raise ValueError(f"topic {topic.id!r} falls back to unknown topics {sorted(unknown)}")
    table = data["small_talk"]
    small_talk = {name: tuple(_both(table.get(name, {}))) for name in SMALL_TALK_CLASSES}
    return Lexicon(
        topics=topics,
        small_talk=small_talk,
        common_words=frozenset(word.lower() for word in data["common_words"]["en"]),
        typos={wrong.lower(): right.lower() for wrong, right in data["typos"]["en"].items()},
        problem_signs=_problem_signs(data.get("problem_signs", {})),
    )


def _problem_signs(table: dict[str, Any]) -> ProblemSigns:
    return ProblemSigns(
        zh_chars=tuple(table.get("zh_chars", [])),
        zh_fine=frozenset(table.get("zh_fine", [])),
        en=frozenset(word.lower() for word in table.get("en", [])),
    )


@cache
def lexicon() -> Lexicon:
    """The built-in lexicon, read from the package once."""
    text = resources.files("bot.services.intake").joinpath("lexicon.toml").read_text("utf-8")
    return parse(tomllib.loads(text))
