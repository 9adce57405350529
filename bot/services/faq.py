"""Self-service answers: the organisation file's FAQ, and finding the entry a
resident's question is about.

An entry matches when the message contains one of its keywords (Chinese as written,
English as whole words, compared by their stems: "where can I park" has "parking") or
reads much like one of its sample phrasings or its own question (shared character pairs
for Chinese, shared words for English). The best entry wins. A message that names a
category of problem is a report, not a question, unless it reads as a question
(:func:`answer_before_filing`)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.config.orgfile import Organisation
from bot.config.orgfile.models import FaqEntry
from bot.services.intake import emergency
from bot.services.intake.quick import reads_as_question
from bot.services.intake.words import stem

PHRASING_SIMILARITY = 0.5  # share of a phrasing's pairs/words the message must contain
CONFIDENT = 2.0  # two keywords; a keyword and a phrasing; a phrasing's every word or pair
_WORD = re.compile(r"[a-z0-9']+")
_CJK = re.compile(r"[\u3400-\u9fff]")
_STOP = frozenset({"the", "a", "an", "i", "my", "do", "is", "to", "of", "how", "can", "what"})


@dataclass(frozen=True)
class FaqMatch:
    entry: FaqEntry
    score: float


def _words(text: str) -> set[str]:
    """English words, each by its stem ("parking", "parked" → "park")."""
    return {stem(w) for w in _WORD.findall(text.lower()) if w not in _STOP}


def _pairs(text: str) -> set[str]:
    chars = "".join(_CJK.findall(text))
    return {chars[i : i + 2] for i in range(len(chars) - 1)}


def _similarity(message: str, phrasing: str) -> float:
    wanted = _pairs(phrasing) | _words(phrasing)
    if not wanted:
        return 0.0
    have = _pairs(message) | _words(message)
    return len(wanted & have) / len(wanted)


def _score(entry: FaqEntry, text: str) -> float:
    lowered = text.lower()
    words = _words(text)
    score = 0.0
    for keyword in entry.keywords.zh:
        if keyword.lower() in lowered:
            score += 1.0
    for keyword in entry.keywords.en:
        parts = _words(keyword)
        if parts and parts <= words:
            score += 1.0
    # The entry's own question is a phrasing too: asked as written, it is found.
    asked = (entry.question.zh, entry.question.en)
    for phrasing in (*entry.phrasings.zh, *entry.phrasings.en, *asked):
        similarity = _similarity(text, phrasing)
        if similarity >= PHRASING_SIMILARITY:
            score = max(score, 1.0) + similarity
    return score


def match(org: Organisation, text: str, *, confident: bool = False) -> FaqMatch | None:
    """The FAQ entry the message asks about, if any. ``confident``: only a match of two
    keywords, or of a keyword and a phrasing, or of a close phrasing (for a question that
    also names a category of problem: "车位被占了怎么办？" is about a parking space, but
    not about the parking-card answer its one keyword points to)."""
    best: FaqMatch | None = None
    for entry in org.faq:
        score = _score(entry, text)
        if score > 0 and (best is None or score > best.score):
            best = FaqMatch(entry, score)
    if best is not None and confident and best.score < CONFIDENT:
        return None
    return best


def answer_before_filing(org: Organisation, text: str, category_key: str | None) -> FaqMatch | None:
    """The FAQ answer to show instead of offering to file ``text`` (None: offer it). A
    message that names a category of problem is a report, unless it reads as a question,
    describes no danger (the emergency line comes first) and clearly asks about an entry."""
    if category_key is None:
        return match(org, text)
    if emergency.is_emergency(org, category_key, text) or not reads_as_question(text):
        return None
    return match(org, text, confident=True)


def answers_at_once(org: Organisation, text: str) -> bool:
    """A question the FAQ clearly answers ("where can I park?"): answered before asking a
    resident with open tickets which one they mean."""
    return reads_as_question(text) and match(org, text, confident=True) is not None


def entry(org: Organisation, key: str) -> FaqEntry | None:
    return next((e for e in org.faq if e.key == key), None)
