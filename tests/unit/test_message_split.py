"""Long HTML messages are cut into valid parts Telegram accepts."""

from __future__ import annotations

import pytest

from bot.presentation.message_split import TEXT_LIMIT, split_html, truncate_html, units
from fake_telegram.html_check import check_html, parse_html


def test_a_short_message_is_left_alone() -> None:
    assert split_html("<b>hi</b>") == ["<b>hi</b>"]


def test_a_long_digest_is_cut_at_line_breaks_and_loses_nothing() -> None:
    lines = [
        f"• <b>SG-{i:06d}</b> · 首次响应 · 超时 1天2小时 · <i>王 &amp; 李</i>" for i in range(400)
    ]
    text = "🔺 <b>400 张超时工单</b>需要处理:\n" + "\n".join(lines)
    parts = split_html(text)
    assert len(parts) > 1
    for part in parts:
        assert units(part) <= TEXT_LIMIT
        assert check_html(part) is None
    visible = "\n".join(parse_html(part)[0] for part in parts)
    assert visible == parse_html(text)[0]


def test_tags_open_at_a_cut_are_closed_and_reopened() -> None:
    text = "<b>" + "word " * 300 + "</b>"
    parts = split_html(text, 500)
    assert all(p.startswith("<b>") and p.endswith("</b>") for p in parts)
    assert all(check_html(p) is None for p in parts)
    assert "".join(parse_html(p)[0] + " " for p in parts).split() == ["word"] * 300


def test_entities_and_tags_are_never_cut_in_half() -> None:
    text = "&amp;" * 300 + '<a href="https://example.com/x">link</a>' * 40
    for limit in (97, 128, 301):
        parts = split_html(text, limit)
        assert all(check_html(p) is None and units(p) <= limit for p in parts)
        assert "".join(parse_html(p)[0] for p in parts) == parse_html(text)[0]


def test_emoji_count_as_two_units_like_telegram() -> None:
    text = "😀" * 3000  # 6000 UTF-16 units
    parts = split_html(text)
    assert [units(p) for p in parts] == [4096, 1904]


@pytest.mark.parametrize("limit", [1024, 4096])
def test_truncating_keeps_valid_html_and_marks_the_cut(limit: int) -> None:
    text = "<b>" + "长" * 5000 + "</b>"
    short = truncate_html(text, limit)
    assert units(short) <= limit and short.endswith("…") and check_html(short) is None
    assert truncate_html("short", limit) == "short"
