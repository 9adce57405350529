"""The packed Chinese dictionary answers exactly as jieba's own, and its cache holds up."""

from __future__ import annotations

import logging
import random
from pathlib import Path

import jieba
import pytest

from bot.services.intake import dictionary
from bot.services.intake.dictionary import PackedDictionary, cache_path, load, pack

JIEBA_DICTIONARY = Path(jieba.__file__).resolve().parent / jieba.DEFAULT_DICT_NAME
EVAL = Path(__file__).resolve().parents[1] / "fixtures" / "intake_eval.tsv"


@pytest.fixture(scope="module")
def both() -> tuple[dict[str, int], int, PackedDictionary, int]:
    jieba.setLogLevel(logging.WARNING)
    with JIEBA_DICTIONARY.open("rb") as lines:
        whole, whole_total = jieba.Tokenizer.gen_pfdict(lines)
    with JIEBA_DICTIONARY.open("rb") as lines:
        packed, packed_total = pack(lines)
    return whole, whole_total, packed, packed_total


def test_every_word_and_beginning_reads_the_same(both) -> None:
    whole, whole_total, packed, packed_total = both
    assert packed_total == whole_total
    assert packed.rare_words > 200_000  # most words are packed, not in the dict
    assert len(dict.keys(packed)) < len(whole) / 4
    for number, (key, count) in enumerate(whole.items()):
        assert packed.get(key) == count, key
        if number % 10 == 0:
            assert key in packed and packed[key] == count, key


def test_what_is_no_word_nor_beginning_is_missing_as_in_jieba(both) -> None:
    whole, _, packed, _ = both
    alphabet = sorted({char for word in list(whole)[:20_000] for char in word})
    pick = random.Random(11)
    missing = 0
    for _ in range(20_000):
        key = "".join(pick.choice(alphabet) for _ in range(pick.randint(1, 4)))
        assert (key in packed) == (key in whole), key
        assert packed.get(key) == whole.get(key) and packed.get(key, 7) == whole.get(key, 7)
        if key not in whole:
            missing += 1
            with pytest.raises(KeyError):
                packed[key]
    assert missing > 5_000
    assert "" not in packed and 5 not in packed


def test_messages_are_cut_as_with_jiebas_own_dictionary(both) -> None:
    whole, whole_total, packed, packed_total = both
    own, ours = jieba.Tokenizer(), jieba.Tokenizer()
    own.FREQ, own.total, own.initialized = dict(whole), whole_total, True
    ours.FREQ, ours.total, ours.initialized = packed, packed_total, True
    texts = [
        line.split("\t", 1)[1] for line in EVAL.read_text("utf-8").splitlines() if "\t" in line
    ]
    texts += ["祝大家中秋节快乐,阖家幸福", "我家电闸老是掉", "毛蚶北河口灯油"]
    assert len(texts) > 400
    for text in texts:
        assert ours.lcut(text, HMM=False) == own.lcut(text, HMM=False), text
    # Words added later (the domain's) behave the same in both.
    for tokenizer in (own, ours):
        tokenizer.add_word("电闸", 2000)
        tokenizer.add_word("信报箱", 2000)
    for text in texts:
        assert ours.lcut(text, HMM=False) == own.lcut(text, HMM=False), text


SMALL = "大家 500 n\n大家庭 20 n\n阖家 4 n\n阖家幸福 3 l\n幸福 900 a\n毛蚶 11 n\n毛蚶 12 n\n"


def small_dictionary(tmp_path: Path) -> Path:
    path = tmp_path / "dict.txt"
    path.write_text(SMALL, "utf-8")
    return path


def test_a_repeated_word_keeps_its_last_count_and_the_total_counts_every_line(
    tmp_path: Path,
) -> None:
    with small_dictionary(tmp_path).open("rb") as lines:
        packed, total = pack(lines)
    assert total == 500 + 20 + 4 + 3 + 900 + 11 + 12
    assert packed["毛蚶"] == 12 and packed["大家庭"] == 20 and packed["阖"] == 0
    assert packed.get("阖家幸福") == 3 and "阖家幸" in packed and "家幸" not in packed


def test_the_cache_is_made_by_a_process_of_its_own_then_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    source, caches = small_dictionary(tmp_path), tmp_path / "cache"
    caches.mkdir()
    packed, total = load(source, caches)
    cache = cache_path(source, caches)
    assert cache.is_file() and [p.name for p in caches.iterdir()] == [cache.name]
    assert packed["阖家幸福"] == 3 and total == 1450

    def no_packing(*args, **kwargs):
        raise AssertionError("packed again although the cache is there")

    monkeypatch.setattr(dictionary, "pack", no_packing)
    monkeypatch.setattr(dictionary.subprocess, "run", no_packing)
    again, again_total = load(source, caches)
    assert dict(again) == dict(packed) and again_total == total
    assert again["毛蚶"] == 12


def test_a_damaged_cache_is_made_again(tmp_path: Path) -> None:
    source, caches = small_dictionary(tmp_path), tmp_path / "cache"
    caches.mkdir()
    cache = cache_path(source, caches)
    cache.write_bytes(b"\x00 not marshal")
    packed, _ = load(source, caches)
    assert packed["毛蚶"] == 12
    assert PackedDictionary.undump(cache.read_bytes())[0]["毛蚶"] == 12


def test_a_changed_dictionary_file_gets_a_cache_of_its_own(tmp_path: Path) -> None:
    source, caches = small_dictionary(tmp_path), tmp_path / "cache"
    caches.mkdir()
    load(source, caches)
    source.write_text(SMALL + "电闸 25 n\n", "utf-8")
    packed, _ = load(source, caches)
    assert packed["电闸"] == 25
    assert len(list(caches.iterdir())) == 2


def test_without_a_writable_cache_directory_it_packs_in_this_process(tmp_path: Path) -> None:
    source = small_dictionary(tmp_path)
    packed, total = load(source, tmp_path / "no such directory")
    assert packed["阖家幸福"] == 3 and total == 1450


def no_reading(data: bytes) -> None:
    raise AssertionError("read a cache file that is not ours")


def test_a_cache_file_of_another_user_is_not_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    source, caches = small_dictionary(tmp_path), tmp_path / "cache"
    caches.mkdir()
    load(source, caches)
    monkeypatch.setattr(dictionary.os, "getuid", lambda: 12345)  # as if someone else
    monkeypatch.setattr(dictionary.subprocess, "run", lambda *a, **k: None)  # nothing made
    monkeypatch.setattr(PackedDictionary, "undump", no_reading)
    packed, total = load(source, caches)
    assert packed["阖家幸福"] == 3 and total == 1450  # packed here instead


def test_the_segmenter_loads_the_packed_dictionary(tmp_path: Path, monkeypatch) -> None:
    from bot.services.intake import words

    tokenizer = words._load_jieba()
    assert isinstance(tokenizer.FREQ, PackedDictionary)
    assert tokenizer.lcut("楼道灯坏了", HMM=False) == ["楼道", "灯", "坏", "了"]
    # jieba installed where its dictionary is no plain file (zipped): jieba's own loading.
    monkeypatch.setattr(jieba, "__file__", str(tmp_path / "jieba" / "__init__.py"))
    tokenizer = words._load_jieba()
    assert type(tokenizer.FREQ) is dict
    assert tokenizer.lcut("楼道灯坏了", HMM=False) == ["楼道", "灯", "坏", "了"]
