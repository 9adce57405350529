"""Fuzzy understanding of what residents write, in Chinese and English.

Two questions: *which category* is a free-text message about (its words
against the categories' keywords and names), and *is a new ticket the same
problem* as an open one (its text against theirs).

No word segmenter is needed: English is split into words, reduced to a crude
stem ("leaking" → "leak") and compared with an edit-distance ratio, so typos
such as "elevater" still match; Chinese is compared character by character
(a keyword is found with ``partial_ratio``, and similarity of two texts
works on sets of characters), which is robust to word order and particles.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from rapidfuzz import fuzz
from rapidfuzz.distance import DamerauLevenshtein

_CJK_RANGES = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_CJK_CHAR = re.compile(f"[{_CJK_RANGES}]")
_CJK_RUN = re.compile(f"[{_CJK_RANGES}]+")
_LATIN_WORD = re.compile(r"[a-z]+|[0-9]+")
_SUFFIXES = ("ing", "ed")

# Words that say nothing about the problem; they only dilute similarity.
_EN_STOPWORDS = frozenset(
    "a an the is are was were be been am i my we our me it its in on at of to from for with "
    "and or but there this that these those has have had do does did not no very so too "
    "please can could would will just again also still now here some any up down".split()
)
_ZH_STOPCHARS = frozenset("的了是在有我们你他她它这那个和与也都就还又很太吗呢吧啊呀请麻烦一")


@dataclass(frozen=True)
class KeywordSet:
    """The words that point to one category (its keywords and its names)."""

    key: str
    words: tuple[str, ...]


@dataclass(frozen=True)
class CategoryGuess:
    key: str
    score: float


def _normalise(text: str) -> str:
    return unicodedata.normalize("NFKC", text).lower()


def _stem(word: str) -> str:
    """A crude English stem, the same for a keyword and a resident's word: leaking → leak."""
    if word.endswith("ies") and len(word) > 4:
        return word[:-3] + "y"
    if word.endswith(("sses", "xes", "zes", "ches", "shes")):
        return word[:-2]
    if word.endswith("s") and not word.endswith("ss") and len(word) > 3:
        return word[:-1]
    for suffix in _SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            return word[: -len(suffix)]
    return word


def latin_words(text: str) -> list[str]:
    """Lower-case English words, stemmed, digits kept as their own tokens."""
    return [_stem(w) if w.isalpha() else w for w in _LATIN_WORD.findall(_normalise(text))]


def cjk_text(text: str) -> str:
    return "".join(_CJK_RUN.findall(_normalise(text)))


def _word_similarity(a: str, b: str) -> float:
    """0–100; short words must match exactly (too many real words are one letter apart)."""
    if a == b:
        return 100.0
    if min(len(a), len(b)) <= 3:
        return 0.0
    return max(fuzz.ratio(a, b), DamerauLevenshtein.normalized_similarity(a, b) * 100)


def keyword_score(keyword: str, text: str) -> float:
    """How well ``text`` contains ``keyword`` (0–100), tolerating small typos."""
    keyword = _normalise(keyword).strip()
    if not keyword:
        return 0.0
    if _CJK_CHAR.search(keyword):
        haystack = cjk_text(text)
        needle = cjk_text(keyword)
        if not haystack or not needle:
            return 0.0
        if needle in haystack:
            return 100.0
        if len(needle) <= 2:
            return 0.0  # two characters: one wrong character is another word
        return fuzz.partial_ratio(needle, haystack)
    wanted = latin_words(keyword)
    words = latin_words(text)
    if not wanted or len(words) < len(wanted):
        return 0.0
    size = len(wanted)
    best = 0.0
    for start in range(len(words) - size + 1):
        window = words[start : start + size]
        score = sum(_word_similarity(w, k) for w, k in zip(window, wanted, strict=True)) / size
        best = max(best, score)
    return best


def guess_categories(
    text: str, categories: Iterable[KeywordSet], threshold: float
) -> list[CategoryGuess]:
    """Categories the text is about, best first (ties keep the organisation file's order)."""
    guesses = []
    for category in categories:
        scores = [keyword_score(word, text) for word in category.words]
        best = max(scores, default=0.0)
        if best >= threshold:
            # Several matching keywords make a category more likely than one.
            hits = sum(1 for s in scores if s >= threshold)
            guesses.append((best + min(hits - 1, 3), category.key))
    ordered = sorted(enumerate(guesses), key=lambda item: (-item[1][0], item[0]))
    return [CategoryGuess(key, min(score, 100.0)) for _, (score, key) in ordered]


def _tokens(text: str) -> list[str]:
    latin = [w for w in latin_words(text) if w not in _EN_STOPWORDS]
    chinese = [ch for ch in cjk_text(text) if ch not in _ZH_STOPCHARS]
    return latin + chinese


def _numbers(text: str) -> set[str]:
    return {w for w in _LATIN_WORD.findall(_normalise(text)) if w.isdigit()}


def similarity(first: str, second: str) -> float:
    """How likely two descriptions are the same problem (0–100).

    Token-set and token-sort ratios over words and Chinese characters, averaged:
    the set ratio forgives extra detail in one text, the sort ratio keeps a
    short text from matching everything that contains it. Different numbers
    (lift 2 / lift 5, building 1 / building 3) mean different places.
    """
    a, b = _tokens(first), _tokens(second)
    if not a or not b:
        return 0.0
    joined_a, joined_b = " ".join(a), " ".join(b)
    score = fuzz.token_set_ratio(joined_a, joined_b) + fuzz.token_sort_ratio(joined_a, joined_b)
    score /= 2
    numbers_a, numbers_b = _numbers(first), _numbers(second)
    if numbers_a and numbers_b and numbers_a.isdisjoint(numbers_b):
        score *= 0.6
    return score


@dataclass(frozen=True)
class SimilarText:
    ref: int
    score: float


def most_similar(
    text: str, candidates: Sequence[tuple[int, str]], threshold: float, limit: int = 3
) -> list[SimilarText]:
    """Candidates (id, text) at least ``threshold`` similar to ``text``, best first."""
    scored = [SimilarText(ref, similarity(text, other)) for ref, other in candidates]
    found = [s for s in scored if s.score >= threshold]
    return sorted(found, key=lambda s: -s.score)[:limit]
