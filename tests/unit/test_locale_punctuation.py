"""A label and its value, an aside, a list: punctuated as each language writes them."""

from __future__ import annotations

from bot.i18n import listed
from bot.presentation.texts import labelled, with_aside


def test_a_list_is_separated_by_commas_in_english_and_enumeration_commas_in_chinese() -> None:
    assert listed("en", ["SG-000001", "SG-000002", "SG-000003"]) == (
        "SG-000001, SG-000002, SG-000003"
    )
    assert listed("zh_CN", ["1号楼", "2号楼", "3号楼"]) == "1号楼、2号楼、3号楼"
    assert listed("zh_CN", iter(["1号楼"])) == "1号楼"
    assert listed("en", []) == ""


def test_a_value_is_labelled_and_an_aside_bracketed_in_each_language() -> None:
    assert labelled("en", "Phone", "138 0000 0000") == "Phone: 138 0000 0000"
    assert labelled("zh_CN", "电话", "138 0000 0000") == "电话：138 0000 0000"
    assert with_aside("en", "Leak", "40%") == "Leak (40%)"
    assert with_aside("zh_CN", "漏水", "40%") == "漏水（40%）"
