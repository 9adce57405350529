"""Fuzzy understanding of residents' words: category guessing and duplicate detection."""

from __future__ import annotations

import pytest

from bot.config.orgfile import load_organisation
from bot.config.orgfile.loader import EXAMPLE_ORGANISATION_PATH
from bot.services.intake import categories, small_talk
from bot.services.intake.filing import snippet
from bot.services.intake.matching import (
    KeywordSet,
    guess_categories,
    keyword_score,
    most_similar,
    similarity,
)

CATEGORIES = [
    KeywordSet("water", ("漏水", "水管", "渗水", "爆管", "停水", "leak", "water", "pipe", "burst")),
    KeywordSet("power", ("停电", "跳闸", "插座", "power", "outage", "electricity", "socket")),
    KeywordSet("lift", ("电梯", "困人", "电梯故障", "lift", "elevator", "stuck")),
    KeywordSet("noise", ("噪音", "吵", "装修", "noise", "loud", "renovation")),
    KeywordSet("cleaning", ("垃圾", "保洁", "卫生", "garbage", "rubbish", "cleaning")),
    KeywordSet("access", ("门禁", "门卡", "门锁", "access card", "door", "lock")),
]
THRESHOLD = 75


def best(text: str) -> str | None:
    found = guess_categories(text, CATEGORIES, THRESHOLD)
    return found[0].key if found else None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("天花板漏水,滴到床上了", "water"),
        ("卫生间水管爆了!!", "water"),
        ("2号楼电梯坏了,有人被困", "lift"),
        ("楼上装修太吵了,早上七点就开始", "noise"),
        ("家里突然停电了", "power"),
        ("门口的垃圾三天没人清理", "cleaning"),
        ("我的门卡刷不开单元门", "access"),
        ("Water leaking from the ceiling", "water"),
        ("The pipe under my sink burst", "water"),
        ("no electricity in my flat since this morning", "power"),
        ("The lift is stuck on the 5th floor", "lift"),
        ("My access card does not open the gate", "access"),
        ("Neighbours are very loud after midnight", "noise"),
    ],
)
def test_category_is_guessed_from_everyday_phrases(text: str, expected: str) -> None:
    assert best(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("The elevater is broken again", "lift"),  # one letter wrong
        ("leeking ceiling in the bathroom", "water"),  # leeking → leak
        ("the elevtaor makes a strange noise", "lift"),  # two letters swapped
        ("garbadge everywhere in the lobby", "cleaning"),
        ("电梯故樟,不能用了", "lift"),  # a wrong character in a longer keyword
    ],
)
def test_typos_are_tolerated(text: str, expected: str) -> None:
    assert expected in [g.key for g in guess_categories(text, CATEGORIES, THRESHOLD)]


@pytest.mark.parametrize("text", ["hello", "你好", "thanks a lot", "谢谢", "ok", "what time is it"])
def test_small_talk_guesses_nothing(text: str) -> None:
    assert best(text) is None


def test_short_keywords_need_an_exact_word() -> None:
    assert keyword_score("gas", "has anyone seen my cat") == 0
    assert keyword_score("漏水", "楼水") == 0  # two characters: one wrong is another word
    assert keyword_score("pipe", "pipes") == 100  # plural is the same word


def test_several_matching_keywords_make_a_category_more_likely() -> None:
    found = guess_categories("water pipe burst, water everywhere", CATEGORIES, THRESHOLD)
    assert found[0].key == "water"


def test_example_organisation_categories_are_guessed_in_both_languages() -> None:
    org = load_organisation(EXAMPLE_ORGANISATION_PATH)
    assert categories.guess(org, "厨房有很大的煤气味")[0].key == "gas"
    assert categories.guess(org, "How much is the property fee this year?")[0].key == "fees"
    # Only categories offered for the kind are guessed for it.
    assert all(
        org.category(g.key).accepts("suggestion")
        for g in categories.guess(org, "water leak", "suggestion")
    )


SAME_PROBLEM = [
    ("2号楼电梯困人了", "2号楼电梯坏了,有人被困在里面"),
    ("楼道灯不亮", "楼道的灯坏了不亮"),
    ("地下车库漏水", "地下车库顶上一直在漏水"),
    ("门口垃圾没人清理", "大门口的垃圾好几天没人清理了"),
    ("Lift 2 in building 1 is stuck", "lift number 2 stuck between floors, building 1"),
    ("water leaking from ceiling in lobby", "ceiling in the lobby is leaking water"),
    ("elevater stuck on floor 5", "the elevator is stuck at floor 5"),
    ("Gym door lock broken", "the lock on the gym door is broken"),
]
DIFFERENT_PROBLEMS = [
    ("2号楼电梯困人", "5号楼电梯异响"),
    ("楼上装修太吵", "晚上广场舞音乐太吵"),
    ("电梯门关不上", "电梯按钮失灵"),
    ("kitchen tap dripping", "water pressure very low in the morning"),
    ("lift 2 stuck", "lift 5 making noise"),
    ("ceiling leaking in bathroom", "pipe burst in the basement car park"),
    ("Lift stuck", "lift is very noisy when moving"),
]
DUPLICATE_THRESHOLD = 70  # the organisation file's default


@pytest.mark.parametrize(("new", "old"), SAME_PROBLEM)
def test_the_same_problem_in_other_words_is_a_duplicate(new: str, old: str) -> None:
    assert similarity(new, old) >= DUPLICATE_THRESHOLD


@pytest.mark.parametrize(("new", "old"), DIFFERENT_PROBLEMS)
def test_different_problems_are_not_duplicates(new: str, old: str) -> None:
    assert similarity(new, old) < DUPLICATE_THRESHOLD


def test_most_similar_ranks_and_limits() -> None:
    candidates = [
        (1, "5号楼电梯异响"),
        (2, "2号楼电梯坏了,有人被困在里面"),
        (3, "2号楼电梯困人"),
        (4, "小区门口垃圾太多"),
    ]
    found = most_similar("2号楼电梯困人了", candidates, DUPLICATE_THRESHOLD)
    assert [f.ref for f in found] == [3, 2]
    assert most_similar("2号楼电梯困人了", candidates, DUPLICATE_THRESHOLD, limit=1)[0].ref == 3
    assert most_similar("", candidates, DUPLICATE_THRESHOLD) == []


def test_a_threshold_of_100_only_matches_the_same_words() -> None:
    assert similarity("Lift 2 is stuck", "lift 2 is STUCK!") == 100
    assert similarity("Lift 2 is stuck", "lift 2 is stuck again, please hurry") < 100


def test_snippet_hides_phone_numbers_and_shortens() -> None:
    assert snippet("Call me on 13912345678 about the lift") == "Call me on •••• about the lift"
    assert snippet("电话13912345678，同 SG-000123") == "电话••••，同 SG-000123"
    assert snippet("tel:+8613912345678") == "tel:+••••"
    assert len(snippet("很长的描述" * 30)) == 60 and snippet("很长的描述" * 30).endswith("…")


@pytest.mark.parametrize("text", ["hello", "thanks!", "ok 👍", "你好", "谢谢！", "好的", "bye"])
def test_a_pleasantry_alone_tells_no_ticket_anything(text: str) -> None:
    assert small_talk.pleasantry(text)


@pytest.mark.parametrize(
    "text",
    [
        "It got worse this morning",  # "morning" is a greeting word, the rest is news
        "I am home all afternoon",
        "10 is fine, thanks",  # a time: an answer
        "hi, is anyone there?",
        "它又坏了",
    ],
)
def test_words_beside_a_pleasantry_are_news(text: str) -> None:
    assert not small_talk.pleasantry(text)


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("thanks, bye", "thanks"),
        ("谢谢！", "thanks"),
        ("hello", "greeting"),
        ("你好", "greeting"),
        ("bye", "farewell"),
        ("ok 👍", None),  # an acknowledgement: nothing to say back
        ("It got worse this morning", None),
    ],
)
def test_what_a_pleasantry_says(text: str, kind: str | None) -> None:
    assert small_talk.pleasantry_kind(text) == kind


@pytest.mark.parametrize(
    "text",
    [
        "Any news on my repair?",
        "how long will it take?",
        "我的报修进度怎么样了？",
        "师傅什么时候来？",
        "有进展吗",
        "水管什么时候能修好",
    ],
)
def test_asking_how_a_request_is_getting_on(text: str) -> None:
    assert small_talk.asks_for_news(text)


@pytest.mark.parametrize(
    "text",
    ["水管又漏了", "the lift is broken", "the status light is red", "谢谢，修好了", "hello"],
)
def test_describing_a_problem_or_chatting_is_not_asking_for_news(text: str) -> None:
    assert not small_talk.asks_for_news(text)
