"""Understanding what residents write, in Chinese and English.

Two questions: *which category* is a free-text message about, and *is a new
ticket the same problem* as an open one.

Categories are guessed from **words**: the message is split into words
(``words.py``: English words stemmed and misspellings mended, Chinese words from
the ``jieba`` segmenter) and compared with each category's words — the built-in
lexicon's words for its topics, weighted by how much they say (``lexicon.toml``),
the organisation's own keywords, and its names as whole phrases. A word or phrase
counts once; the category with the most points comes first. Chinese words match
exactly (a long word also by the dictionary word that ends it: 厨房水龙头 → 水龙头);
only English words of five letters or more are compared fuzzily, against single
English words of the lexicon and keywords ("elevtaor" → "elevator"), never common
English words ("later" is not "water") and never a category's display name.

Whether two texts are the same problem works on sets of words and Chinese
characters with token-set and token-sort ratios (``similarity``).
"""

from __future__ import annotations

import re
import unicodedata
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache

from rapidfuzz import fuzz, process
from rapidfuzz.distance import DamerauLevenshtein

from bot.services.intake.lexicon import lexicon
from bot.services.intake.words import SEGMENTER, Word, sub_words, words

_CJK_RANGES = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
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

KEYWORD_POINTS = 2  # an organisation's own keyword, or a whole category name
MIN_POINTS = 2  # fewer points than this (one hint word) guesses nothing
FUZZY_MIN_LENGTH = 5  # shorter English words must be spelt right (or be a known misspelling)


@dataclass(frozen=True)
class KeywordSet:
    """The words that point to one category.

    ``words``: the organisation's own keywords (2 points each); ``terms``: weighted
    words from the lexicon; ``names``: the category's names, matched only whole;
    ``anchored``: weighted words that count only beside one of the others (a lift's
    lights and doors are the lift's: "电梯里的灯不亮").
    """

    key: str
    words: tuple[str, ...] = ()
    terms: tuple[tuple[str, int], ...] = ()
    names: tuple[str, ...] = ()
    anchored: tuple[tuple[str, int], ...] = ()


@dataclass(frozen=True)
class CategoryGuess:
    key: str
    score: float  # points: the weights of the category's words found in the text


@dataclass
class Match:
    """What a text's words matched: points per category, where each category was first
    mentioned, and the strongest word's weight."""

    points: dict[str, float] = field(default_factory=dict)
    first: dict[str, int] = field(default_factory=dict)
    strongest: int = 0


def _phrase(text: str) -> tuple[str, ...]:
    return tuple(word.text for word in words(text))


class Matcher:
    """An index of the words of some categories, built once and used for every message."""

    def __init__(self, categories: Sequence[KeywordSet], threshold: float) -> None:
        self.order = [category.key for category in categories]
        self.threshold = threshold
        SEGMENTER.add_words(
            word
            for c in categories
            for word in (*c.words, *(t for t, _ in (*c.terms, *c.anchored)), *c.names)
        )
        # phrase (a tuple of words) → category → (points, counts only beside another word)
        self.phrases: dict[tuple[str, ...], dict[str, tuple[int, bool]]] = defaultdict(dict)
        for category in categories:
            weighted = [*category.terms, *((w, KEYWORD_POINTS) for w in category.words)]
            weighted += [(name, KEYWORD_POINTS) for name in category.names]
            entries = [(t, w, False) for t, w in weighted]
            entries += [(t, w, True) for t, w in category.anchored]
            for term, weight, anchored in entries:
                phrase = _phrase(term)
                if not phrase:
                    continue
                known = self.phrases[phrase].get(category.key)
                if known is None or (known[1], -known[0]) > (anchored, -weight):
                    self.phrases[phrase][category.key] = (weight, anchored)
        self.by_first: dict[str, list[tuple[str, ...]]] = defaultdict(list)
        for phrase in sorted(self.phrases, key=len, reverse=True):  # longest first
            self.by_first[phrase[0]].append(phrase)
        # Single English words of the lexicon and keywords that a typo may be read as
        # (as written → as compared): never a category's name.
        names = {_phrase(name) for category in categories for name in category.names}
        self.fuzzy_targets: dict[str, str] = {}
        for c in categories:
            for term in (*c.words, *(t for t, _ in (*c.terms, *c.anchored))):
                found = words(term)
                if len(found) != 1 or (found[0].text,) in names or found[0].cjk:
                    continue
                written = found[0].written
                if written.isalpha() and written.isascii() and len(written) >= FUZZY_MIN_LENGTH:
                    self.fuzzy_targets.setdefault(written, found[0].text)
        self._fuzzy_cache: dict[str, str | None] = {}

    def _typo_of(self, word: Word) -> str | None:
        """The lexicon word an English word is a typo of, if any (edit distance 1, or 2 if long)."""
        written = word.written
        if written in self._fuzzy_cache:
            return self._fuzzy_cache[written]
        found = None
        common = lexicon().common_words
        if (
            len(written) >= FUZZY_MIN_LENGTH
            and written.isalpha()
            and written not in common
            and word.text not in common
        ):
            allowed = 1 if len(written) < 8 else 2
            for target, _score, _ in process.extract(
                written,
                list(self.fuzzy_targets),
                scorer=DamerauLevenshtein.normalized_similarity,
                score_cutoff=self.threshold / 100,
                limit=5,
            ):
                near = DamerauLevenshtein.distance(target, written) <= allowed
                if near and target[0] == written[0]:
                    found = self.fuzzy_targets[target]
                    break
        self._fuzzy_cache[written] = found
        return found

    def matched_phrases(self, text: str) -> list[tuple[int, tuple[str, ...]]]:
        """The lexicon phrases found in ``text``, each once with its first position.

        Left to right, the longest phrase at a word wins and its words are used up
        ("gas leak" is not also a "leak"; "car park" not also a "car").
        """
        found: dict[tuple[str, ...], int] = {}
        tokens = words(text)
        texts = [word.text for word in tokens]
        i = 0
        while i < len(tokens):
            word = tokens[i]
            phrase = next(
                (p for p in self.by_first.get(word.text, ()) if tuple(texts[i : i + len(p)]) == p),
                None,
            )
            if phrase is not None:
                found.setdefault(phrase, i)
                i += len(phrase)
                continue
            if word.cjk:
                for sub in sub_words(word.text):
                    if (sub,) in self.phrases:
                        found.setdefault((sub,), i)
            else:
                typo_of = self._typo_of(word)
                if typo_of is not None:
                    found.setdefault((typo_of,), i)
            i += 1
        return [(position, phrase) for phrase, position in found.items()]

    def match(self, text: str) -> Match:
        result = Match()
        points: dict[str, float] = defaultdict(float)
        beside: dict[str, float] = defaultdict(float)
        for position, phrase in sorted(self.matched_phrases(text)):
            for key, (weight, anchored) in self.phrases[phrase].items():
                if anchored:
                    beside[key] += weight
                    continue
                points[key] += weight
                result.first.setdefault(key, position)
                result.strongest = max(result.strongest, weight)
        for key, extra in beside.items():
            if key in points:
                points[key] += extra
        result.points = dict(points)
        return result

    def guess(self, text: str) -> list[CategoryGuess]:
        """Categories the text is about, most points first; on a tie the one named first."""
        found = self.match(text)
        points = found.points
        ranked = sorted(
            (key for key in self.order if points.get(key, 0) >= MIN_POINTS),
            key=lambda key: (-points[key], found.first[key], self.order.index(key)),
        )
        return [CategoryGuess(key, points[key]) for key in ranked]


@lru_cache(maxsize=64)
def matcher(categories: tuple[KeywordSet, ...], threshold: float) -> Matcher:
    return Matcher(categories, threshold)


def keyword_score(keyword: str, text: str, threshold: float = 75) -> float:
    """100 if ``text`` contains ``keyword`` as words (or an English typo of it), else 0."""
    found = matcher((KeywordSet("_", (keyword,)),), threshold).match(text)
    return 100.0 if found.points else 0.0


def guess_categories(
    text: str, categories: Iterable[KeywordSet], threshold: float
) -> list[CategoryGuess]:
    """Categories the text is about, best first (ties keep the organisation file's order).

    ``threshold`` (0–100) is how alike an English word and a lexicon word must be for
    the word to be read as a typo of it.
    """
    return matcher(tuple(categories), threshold).guess(text)


def _normalise(text: str) -> str:
    return unicodedata.normalize("NFKC", text).lower()


def _stem(word: str) -> str:
    """A crude English stem for comparing two descriptions: leaking → leak."""
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
