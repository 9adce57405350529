"""The built-in lexicon, its mapping onto an organisation's categories, words and typos."""

from __future__ import annotations

import subprocess
import sys
from typing import Any, get_args

import pytest

from bot.config.orgfile import Category, load_organisation
from bot.config.orgfile.loader import EXAMPLE_ORGANISATION_PATH
from bot.config.orgfile.models import LexiconTopic, Organisation
from bot.services.intake import categories
from bot.services.intake.lexicon import lexicon
from bot.services.intake.matching import KeywordSet, guess_categories
from bot.services.intake.words import stem, sub_words, words
from tests.conftest import FIXTURES

ORG = load_organisation(EXAMPLE_ORGANISATION_PATH)


def with_categories(*tables: dict[str, Any]) -> Organisation:
    found: Organisation = ORG.model_copy(
        update={"categories": [Category.model_validate(t) for t in tables]}
    )
    return found


def test_the_organisation_file_knows_the_lexicon_topics() -> None:
    assert set(get_args(LexiconTopic)) == set(lexicon().topic_ids)
    assert len(lexicon().topic_ids) == 12


def test_topics_are_inferred_from_keys_and_names_with_fallbacks() -> None:
    assert categories.topics_of(ORG) == {
        "water": ["water", "drains"],  # no drains category: blocked toilets are water
        "power": ["power"],
        "lift": ["lifts"],
        "gas": ["gas"],
        "access": ["access", "security"],  # "Doors, locks, access & security"
        "noise": ["noise"],
        "cleaning": ["cleaning"],
        "parking": ["parking"],
        "facilities": ["facilities"],
        "fees": ["fees"],
        "other": [],
    }
    fixture = load_organisation(FIXTURES / "organisation.toml")
    assert categories.topics_of(fixture)["water"] == ["water", "drains"]
    assert categories.topics_of(fixture)["lift"] == ["lifts"]


def test_a_category_may_name_its_topics_or_none() -> None:
    org = with_categories(
        {
            "key": "plumbing",
            "name": {"zh": "水电维修", "en": "Repairs"},
            "topics": ["water", "drains", "power"],
        },
        {"key": "pests", "name": {"zh": "虫害", "en": "Pests"}, "topics": "cleaning"},
        {
            "key": "water",
            "name": {"zh": "水", "en": "Water"},
            "topics": [],
            "keywords": {"en": ["aquarium"]},
        },
    )
    assert categories.topics_of(org)["plumbing"] == ["water", "drains", "power"]
    assert categories.guess(org, "马桶堵了")[0].key == "plumbing"
    assert categories.guess(org, "楼道灯不亮")[0].key == "plumbing"
    assert categories.guess(org, "家里有蟑螂")[0].key == "pests"
    assert [g.key for g in categories.guess(org, "the aquarium in the lobby")] == ["water"]
    # topics = []: its keywords and names only, none of the water topic's words
    assert [g.key for g in categories.guess(org, "the tap is dripping")] == ["plumbing"]


def test_unknown_topics_are_refused() -> None:
    with pytest.raises(ValueError, match="topics"):
        Category.model_validate({"key": "x", "name": {"zh": "x", "en": "x"}, "topics": ["fire"]})


def test_an_organisation_keyword_extends_the_lexicon() -> None:
    org = with_categories(
        {
            "key": "pool",
            "name": {"zh": "泳池", "en": "Pool"},
            "keywords": {"zh": ["救生员"], "en": ["lifeguard"]},
        },
        {"key": "other", "name": {"zh": "其他", "en": "Other"}},
    )
    assert categories.guess(org, "今天没有救生员")[0].key == "pool"
    assert categories.guess(org, "no lifeguard on duty today")[0].key == "pool"
    assert categories.guess(org, "The pool is closed")[0].key == "pool"  # its name, whole


def test_chinese_is_matched_by_words_not_characters() -> None:
    assert [w.text for w in words("楼道灯坏了")] == ["楼道", "灯", "坏", "了"]
    assert [w.text for w in words("我家电闸老是掉")][:2] == ["我家", "电闸"]  # not 家电
    assert "水龙头" in sub_words("厨房水龙头")  # the head of a compound
    assert "卫生" not in sub_words("卫生间")  # a bathroom is not hygiene
    assert categories.guess(ORG, "他的水平很高") == []  # 水 inside 水平 is no water
    assert categories.guess(ORG, "卫生间水管爆了")[0].key == "water"


def test_english_words_are_stemmed_and_misspellings_mended() -> None:
    assert [stem(w) for w in ("leaking", "clogged", "dripping", "lights", "flies")] == [
        "leak", "clog", "drip", "light", "fly",
    ]  # fmt: skip
    assert [w.text for w in words("The toliet's leeking")] == ["the", "toilet", "leak"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("the elevtaor is shaking", "lift"),  # letters swapped
        ("garbadge bags everywhere", "cleaning"),
        ("the electrical sockett sparks", "power"),
        ("the plumbng is noisy", "water"),
    ],
)
def test_typos_of_long_english_words_are_read(text: str, expected: str) -> None:
    assert expected in [g.key for g in categories.guess(ORG, text)]


@pytest.mark.parametrize(
    "text",
    ["see you later", "just a small thing", "turn left at the gate house", "my poker night"],
)
def test_common_words_are_not_taken_for_typos(text: str) -> None:
    keys = [g.key for g in categories.guess(ORG, text)]
    assert not {"water", "gas", "cleaning", "lift", "power"} & set(keys)


def test_bare_keyword_sets_still_work() -> None:
    sets = [KeywordSet("lift", ("电梯", "lift")), KeywordSet("noise", ("噪音", "loud"))]
    assert guess_categories("lift is very loud", sets, 75)[0].key in {"lift", "noise"}
    assert guess_categories("hello", sets, 75) == []


def test_the_lexicon_ships_in_the_package_and_loads_quietly() -> None:
    script = (
        "from bot.services.intake.words import words, warm_up\n"
        "warm_up()\n"
        "print(' '.join(w.text for w in words('楼道灯坏了')))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, timeout=120
    )
    assert done.stdout.strip() == "楼道 灯 坏 了"
    assert done.stderr == ""  # no "Building prefix dict…" from jieba


def test_a_category_name_typed_alone_is_that_category() -> None:
    """Typing a name instead of pressing its button (the filing step), "Other" included."""
    assert categories.guess(ORG, "其他")[0].key == "other"
    assert categories.guess(ORG, "Other")[0].key == "other"
    assert categories.guess(ORG, "Water leak")[0].key == "water"
    assert categories.guess(ORG, "电梯故障")[0].key == "lift"
