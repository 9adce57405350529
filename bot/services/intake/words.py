"""A resident's message as words: English words and Chinese words, in order.

English is split on letters (an apostrophe stays inside a word: "won't"), common
misspellings are mended ("leek" → "leak", from the lexicon) and each word is reduced
to a crude stem ("leaking" → "leak", "clogged" → "clog") so that a lexicon word and a
resident's word compare equal. Chinese is segmented into words by ``jieba`` (the
usual Chinese word segmenter), without its HMM guessing of unknown words, so a
character that is not part of a dictionary word stays a word of its own ("楼道 / 灯
/ 坏 / 了"). The lexicon's words that the dictionary knows are preferred in a
doubtful cut; its longer entries are phrases of several words.

The segmenter's dictionary (about 350,000 words) is loaded once, on first use or by
``warm_up()``, without log lines, packed to a fifth of jieba's own memory
(:mod:`.dictionary`, which keeps a cache of it in the temporary directory).
"""

from __future__ import annotations

import logging
import re
import threading
import unicodedata
import warnings
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

from bot.services.intake import dictionary
from bot.services.intake.lexicon import lexicon

if TYPE_CHECKING:
    import jieba

_CJK_RANGES = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_CJK = re.compile(f"[{_CJK_RANGES}]")
_PIECES = re.compile(f"[{_CJK_RANGES}]+|[a-z]+(?:'[a-z]+)*|[0-9]+")
_APOSTROPHES = str.maketrans({"’": "'", "‘": "'", "`": "'"})
DOMAIN_WORD_FREQUENCY = 2000  # about a common word's count in jieba's dictionary
_DOUBLED = re.compile(r"([b-df-hj-kmnp-rtv-y])\1$")  # clogg → clog, but not ll, ss, zz


def normalise(text: str) -> str:
    return unicodedata.normalize("NFKC", text).lower().translate(_APOSTROPHES)


def is_cjk(word: str) -> bool:
    return bool(_CJK.search(word))


def stem(word: str) -> str:
    """A crude English stem, the same for a lexicon word and a resident's word."""
    if word.endswith("'s"):
        word = word[:-2]
    if word.endswith("ies") and len(word) > 4:
        return word[:-3] + "y"
    if word.endswith(("sses", "xes", "zes", "ches", "shes")):
        return word[:-2]
    if word.endswith("s") and not word.endswith(("ss", "us", "is")) and len(word) > 3:
        return word[:-1]
    for suffix in ("ing", "ed"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            return _DOUBLED.sub(r"\1", word[: -len(suffix)])
    return word


@dataclass(frozen=True, slots=True)
class Word:
    text: str  # the stem (English) or the word (Chinese)
    written: str  # as written, lower case, misspelling mended (English); the word (Chinese)
    cjk: bool


class Segmenter:
    """``jieba`` behind a lock: its own dictionary, loaded once, quietly; words added later."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._tokenizer: jieba.Tokenizer | None = None
        self._words: set[str] = set()
        self._pending: set[str] = set()

    def _ready(self) -> jieba.Tokenizer:
        tokenizer = self._tokenizer
        if tokenizer is None:
            with self._lock:
                if self._tokenizer is None:
                    self._tokenizer = _load_jieba()
                tokenizer = self._tokenizer
        if self._pending:
            with self._lock:
                for word in sorted(self._pending):
                    # A domain word the dictionary knows wins a doubtful cut: 我家电闸 is
                    # 我家 / 电闸, not 我 / 家电 / 闸. Other entries are phrases of words
                    # (灯坏了 is 灯 / 坏了), matched as such: adding them would let them
                    # take characters from their neighbours (路 / 灯坏了).
                    known = tokenizer.FREQ.get(word) or 0
                    if 0 < known < DOMAIN_WORD_FREQUENCY:
                        tokenizer.add_word(word, DOMAIN_WORD_FREQUENCY)
                self._pending.clear()
        return tokenizer

    def add_words(self, words: Iterable[str]) -> None:
        """Chinese domain words (lexicon words, keywords) the segmenter should prefer."""
        new = {w for w in words if is_cjk(w) and len(w) > 1} - self._words
        if new:
            with self._lock:
                self._words |= new
                self._pending |= new
            _cut.cache_clear()

    def cut(self, text: str) -> list[str]:
        return self._ready().lcut(text, HMM=False)

    def is_word(self, text: str) -> bool:
        return bool(self._ready().FREQ.get(text))

    def warm_up(self) -> None:
        self._ready()


def _load_jieba() -> jieba.Tokenizer:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # old packaging calls inside jieba warn on import
        import jieba
    jieba.setLogLevel(logging.WARNING)  # no "Building prefix dict…" lines
    tokenizer = jieba.Tokenizer()
    # jieba's own dictionary file, packed (the same words and counts, less memory).
    whole = Path(jieba.__file__).resolve().parent / jieba.DEFAULT_DICT_NAME
    if whole.is_file():
        tokenizer.FREQ, tokenizer.total = dictionary.load(whole)
        tokenizer.initialized = True
    else:  # jieba installed some other way (zipped): its own loading
        tokenizer.initialize()
    return tokenizer


SEGMENTER = Segmenter()


@lru_cache(maxsize=4096)
def _cut(run: str) -> tuple[str, ...]:
    return tuple(SEGMENTER.cut(run))


SEGMENTER.add_words(
    word
    for topic in lexicon().topics
    for word in (*(term for term, _ in topic.terms), *topic.aliases)
)
SEGMENTER.add_words(word for words in lexicon().small_talk.values() for word in words)


def warm_up() -> None:
    """Load the Chinese dictionary now rather than on the first message."""
    SEGMENTER.warm_up()


def english(word: str) -> Word:
    if word.endswith("'s"):
        word = word[:-2]
    written = lexicon().typos.get(word, word)
    return Word(stem(written), written, cjk=False)


def words(text: str) -> list[Word]:
    """The message's words in order (digits are words too); punctuation and emoji dropped."""
    found: list[Word] = []
    for piece in _PIECES.findall(normalise(text)):
        if is_cjk(piece):
            found += [Word(w, w, cjk=True) for w in _cut(piece)]
        else:
            mended = lexicon().typos.get(piece, piece)
            found += [english(part) for part in mended.split()]  # "carpark" → car park
    return found


def sub_words(word: str) -> list[str]:
    """Dictionary words that end a long Chinese word: its head (厨房水龙头 → 水龙头, 龙头).

    Chinese compounds put the head last; a word at the start only qualifies it
    (卫生间 is a room, not 卫生).
    """
    return [word[i:] for i in range(1, len(word) - 1) if SEGMENTER.is_word(word[i:])]
