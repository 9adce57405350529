"""Greetings, thanks and chit-chat: messages that are not a problem to file.

The rule, with the word classes of the lexicon's ``[small_talk]``:

* a message left with no words once greetings, thanks, acknowledgements,
  farewells, questions about the bot and filler words are taken out is small talk
  ("你好", "ok thanks 👍", "hello there", "这个怎么用");
* with no category guessed, a question about the bot ("are you a bot?") is small
  talk, and so is a greeting or thanks with at most two other words ("hi, good
  afternoon", "hello, is anyone there?");
* thanks for something fixed ("谢谢,水管已经修好了", "thanks, the lift works now")
  is small talk even though it names a category, unless it also says there is a
  problem (a problem word such as 漏水, or "but", "again", "still", "please", 坏…).

Anything else without a category is offered when it is long enough to describe
something (three English words or four Chinese characters) and says that something
is wrong, wanted or asked: a message of at most ``FEW_WORDS`` words of content with
no sign of that (``[problem_signs]``: 坏, 漏, 不, 没, 堵, "broken", "not", "need",
"when", a question mark…), no trouble word and no lexicon word is chit-chat too
("周末愉快", "今天天气不错", "have a good day").
"""

from __future__ import annotations

from functools import cache

from bot.services.intake.lexicon import (
    ACK,
    BOT,
    FAREWELL,
    GREETING,
    NEWS,
    PROBLEM_WEIGHT,
    RESOLVED,
    SMALL_TALK_CLASSES,
    STOPWORDS,
    THANKS,
    TROUBLE,
    lexicon,
)
from bot.services.intake.words import Word, words

MIN_WORDS, MIN_CJK = 3, 4  # shorter than this and no category: not a description
FEW_WORDS = 6  # no category, at most this many words of content and no problem sign: chatter
_QUESTION_MARKS = frozenset("??")
_CHATTER = {GREETING, THANKS, ACK, FAREWELL, BOT}
_IGNORED = {*_CHATTER, RESOLVED, STOPWORDS}  # what does not count as content


@cache
def _phrases() -> dict[tuple[str, ...], frozenset[str]]:
    """Small-talk phrase (as words) → its classes."""
    found: dict[tuple[str, ...], set[str]] = {}
    for name in SMALL_TALK_CLASSES:
        for entry in lexicon().small_talk[name]:
            phrase = tuple(w.text for w in words(entry))
            if phrase:
                found.setdefault(phrase, set()).add(name)
    return {phrase: frozenset(classes) for phrase, classes in found.items()}


def _classify(tokens: list[Word]) -> tuple[set[str], list[Word]]:
    """The small-talk classes present, and the words that belong to none of them."""
    phrases = _phrases()
    longest = max(map(len, phrases))
    texts = [w.text for w in tokens]
    classes: set[str] = set()
    content: list[Word] = []
    i = 0
    while i < len(tokens):
        for size in range(min(longest, len(tokens) - i), 0, -1):
            found = phrases.get(tuple(texts[i : i + size]))
            if found is not None:
                classes |= found
                if not found & _IGNORED:  # trouble words are content
                    content += tokens[i : i + size]
                i += size
                break
        else:
            if not tokens[i].text.isdigit():
                content.append(tokens[i])
            i += 1
    return classes, content


def is_small_talk(text: str, guessed: bool, strongest: int = 0) -> bool:
    """Whether ``text`` is chatter rather than a problem.

    ``guessed``: a category was guessed for it; ``strongest``: the weight of the
    strongest lexicon word found (a problem word weighs ``PROBLEM_WEIGHT``).
    """
    classes, content = _classify(words(text))
    if not content:
        return True
    if guessed:
        return (
            RESOLVED in classes
            and THANKS in classes
            and TROUBLE not in classes
            and strongest < PROBLEM_WEIGHT
        )
    if BOT in classes and TROUBLE not in classes:
        return True
    return bool(classes & _CHATTER) and TROUBLE not in classes and len(content) <= 2


def pleasantry(text: str) -> bool:
    """Nothing but a greeting, thanks, an acknowledgement or a goodbye ("hello", "谢谢！",
    "ok 👍"): no word, number or question of its own, so it tells no ticket anything."""
    if _QUESTION_MARKS & set(text) or any(c.isdigit() for c in text):
        return False
    classes, content = _classify(words(text))
    return not content and bool(classes & {GREETING, THANKS, ACK, FAREWELL})


def pleasantry_kind(text: str) -> str | None:
    """What a :func:`pleasantry` mostly says: thanks, a greeting or a goodbye (in that
    order; ``"thanks, bye"`` is thanks); None for an acknowledgement or anything else."""
    if not pleasantry(text):
        return None
    classes, _content = _classify(words(text))
    return next((kind for kind in (THANKS, GREETING, FAREWELL) if kind in classes), None)


def substantial(text: str) -> bool:
    """Long enough to describe a problem without a guessed category."""
    tokens = words(text)
    latin = sum(1 for w in tokens if not w.cjk)
    cjk = sum(len(w.text) for w in tokens if w.cjk)
    return latin >= MIN_WORDS or cjk >= MIN_CJK


def _signals(word: Word) -> bool:
    signs = lexicon().problem_signs
    if not word.cjk:
        return word.written in signs.en or word.text in signs.en or word.written.endswith("n't")
    if word.text in signs.zh_fine:
        return False
    return any(sign in word.text for sign in signs.zh_chars)


def idle(text: str, mentions_the_lexicon: bool = False) -> bool:
    """Whether uncategorised ``text`` is a few words that name no problem, wish or question.

    ``mentions_the_lexicon``: a lexicon word was found in it (a thing that can break).
    """
    if mentions_the_lexicon or _QUESTION_MARKS & set(text):
        return False
    classes, content = _classify(words(text))
    if TROUBLE in classes or len(content) > FEW_WORDS:
        return False
    return not any(_signals(word) for word in words(text))


def asks_for_news(text: str) -> bool:
    """Whether ``text`` asks how a request is getting on ("进度怎么样了？", "any news on
    my repair?")."""
    classes, _content = _classify(words(text))
    return NEWS in classes
