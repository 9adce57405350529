"""Categories offered to residents, and guessing one from free text.

Each category takes the built-in lexicon's words for the topics it is about
(``lexicon.toml``): the topics its ``topics`` field names in the organisation file,
or, when it names none, the topics whose id or one of whose aliases is the
category's key or a word of its names ("water", "水管漏水", "Doors, locks, access &
security" → access and security). A topic that no category takes goes to the
category of its first fallback topic that one does (drains → water). The
category's own keywords extend its words; ``topics = []`` keeps only them.
"""

from __future__ import annotations

import re
import weakref
from dataclasses import dataclass

from bot.config.orgfile import Category, Organisation
from bot.services.intake import small_talk
from bot.services.intake.lexicon import WEIGHTS, lexicon
from bot.services.intake.matching import CategoryGuess, KeywordSet, Matcher, matcher
from bot.services.intake.words import words

_NAME_PARTS = re.compile(r"[/()()、,,&+]|\band\b|\bor\b")
_KEY_PARTS = re.compile(r"[_\-.]+")
_END_PUNCTUATION = re.compile(r"[\s.!?。!?]+$")
HINT_WEIGHT = WEIGHTS["hint"]
# Names that say nothing about a problem: never matched in free text.
_GENERIC_NAMES = frozenset({"other", "others", "misc", "miscellaneous", "其他", "其它", "杂项"})


def _name_parts(category: Category) -> list[str]:
    found = []
    for name in (category.name.zh, category.name.en):
        parts = [name.strip(), *(part.strip() for part in _NAME_PARTS.split(name))]
        found += [p for p in parts if p and p.lower() not in _GENERIC_NAMES]
    return list(dict.fromkeys(found))


def inferred_topics(category: Category) -> list[str]:
    """Topics a category is about when the organisation file names none."""
    said = {part.lower() for part in _KEY_PARTS.split(category.key) if part}
    said |= {w.text for name in (category.name.zh, category.name.en) for w in words(name)}
    said |= {w.written for name in (category.name.zh, category.name.en) for w in words(name)}
    found = []
    for topic in lexicon().topics:
        aliases = {topic.id, *topic.aliases}
        aliases |= {w.text for alias in topic.aliases for w in words(alias)}
        if said & aliases:
            found.append(topic.id)
    return found


def topics_of(org: Organisation) -> dict[str, list[str]]:
    """Each category's lexicon topics, fallbacks included (category key → topic ids)."""
    taken = {
        c.key: list(c.topics) if c.topics is not None else inferred_topics(c)
        for c in org.categories
    }
    owner: dict[str, str] = {}
    for key, topic_ids in taken.items():
        for topic_id in topic_ids:
            owner.setdefault(topic_id, key)
    found = {key: list(topics) for key, topics in taken.items()}
    for topic in lexicon().topics:
        if topic.id in owner:
            continue
        home = next((owner[fb] for fb in topic.fallback if fb in owner), None)
        if home is not None:
            found[home].append(topic.id)
    return found


def keyword_sets(org: Organisation) -> list[KeywordSet]:
    """Each category's words: its topics' lexicon words, its own keywords, its names."""
    topics = topics_of(org)
    found = []
    for category in org.categories:
        terms: dict[str, int] = {}
        anchored: dict[str, int] = {}
        for topic_id in topics[category.key]:
            topic = lexicon().topic(topic_id)
            for term, weight in topic.terms:
                terms[term] = max(weight, terms.get(term, 0))
            for term, weight in topic.anchored:
                anchored[term] = max(weight, anchored.get(term, 0))
        own = (*category.keywords.zh, *category.keywords.en)
        found.append(
            KeywordSet(
                category.key,
                own,
                tuple(terms.items()),
                tuple(_name_parts(category)),
                tuple(anchored.items()),
            )
        )
    return found


# One matcher per organisation object (the organisation is frozen; a reload is a new one).
_MATCHERS: dict[int, tuple[weakref.ref[Organisation], Matcher]] = {}


def _matcher(org: Organisation) -> Matcher:
    entry = _MATCHERS.get(id(org))
    if entry is not None and entry[0]() is org:
        return entry[1]
    if len(_MATCHERS) > 32:
        for key in [k for k, (ref, _) in _MATCHERS.items() if ref() is None]:
            del _MATCHERS[key]
    found = matcher(tuple(keyword_sets(org)), org.residents.category_threshold)
    _MATCHERS[id(org)] = (weakref.ref(org), found)
    return found


def _named(org: Organisation, text: str) -> str | None:
    said = _END_PUNCTUATION.sub("", " ".join(text.split())).lower()
    for category in org.categories:
        if said in {category.name.zh.lower(), category.name.en.lower()}:
            return category.key
    return None


def categories_for(org: Organisation, kind: str) -> list[Category]:
    return [category for category in org.categories if category.accepts(kind)]


def guess(org: Organisation, text: str, kind: str | None = None) -> list[CategoryGuess]:
    """Likely categories for ``text``, best first; only those offered for ``kind``."""
    guesses = _matcher(org).guess(text)
    named = _named(org, text)
    if named is not None:  # typed a category's name, even "其他" / "Other": that one first
        guesses = [CategoryGuess(named, 100.0), *(g for g in guesses if g.key != named)]
    if kind is None:
        return guesses
    return [g for g in guesses if org.category(g.key).accepts(kind)]


@dataclass(frozen=True)
class Reading:
    """What a message outside any conversation says: its likely categories, and whether
    it is a problem worth offering to file (not a greeting, thanks or chit-chat)."""

    guesses: list[CategoryGuess]
    offered: bool


def read(org: Organisation, text: str) -> Reading:
    guesses = guess(org, text)
    strongest = _matcher(org).match(text).strongest
    chatter = small_talk.is_small_talk(text, guessed=bool(guesses), strongest=strongest)
    if guesses and strongest <= HINT_WEIGHT and small_talk.idle(text):
        chatter = True  # guessed from a hint alone ("邻居", "sweet"), in words of chit-chat
    described = small_talk.substantial(text) and not small_talk.idle(text, strongest > 0)
    offered = not chatter and (bool(guesses) or described)
    return Reading(guesses if offered else [], offered)


def urgent_allowed(org: Organisation, category_key: str | None) -> bool:
    if category_key is None:
        return False
    try:
        return org.category(category_key).urgent_allowed
    except KeyError:
        return False
