"""The HTML checker mirrors Telegram's parser (visible text, entities, errors)."""

from __future__ import annotations

import pytest

from fake_telegram import check_html, parse_html


def test_visible_text_and_entities() -> None:
    text, entities = parse_html(
        '<b>粗<i>斜</i></b> <a href="https://x.cn/?a=1&amp;b=2">链接</a> 😀<code>c</code>'
    )
    assert text == "粗斜 链接 😀c"
    assert entities == [
        {"type": "bold", "offset": 0, "length": 2},
        {"type": "italic", "offset": 1, "length": 1},
        {"type": "text_link", "offset": 3, "length": 2, "url": "https://x.cn/?a=1&b=2"},
        {"type": "code", "offset": 8, "length": 1},  # the emoji takes 2 UTF-16 units
    ]


def test_pre_with_language_spoiler_and_blockquote() -> None:
    text, entities = parse_html(
        '<pre><code class="language-python">x=1</code></pre>'
        '<span class="tg-spoiler">s</span><blockquote expandable>q</blockquote>'
    )
    assert text == "x=1sq"
    assert [e["type"] for e in entities] == ["pre", "spoiler", "expandable_blockquote"]
    assert entities[0]["language"] == "python"


def test_entities_decoded() -> None:
    assert parse_html("&lt;a&gt; &amp; &quot; &#20013; &#x1F600;")[0] == '<a> & " 中 😀'


@pytest.mark.parametrize(
    ("source", "fragment"),
    [
        ("<b>x", 'Can\'t find end tag corresponding to start tag "b"'),
        ("x</b>", "Unexpected end tag at byte offset 1"),
        ("<b><i>x</b></i>", 'Unmatched end tag at byte offset 7, expected "</i>", found "</b>"'),
        ("<div>x</div>", 'Unsupported start tag "div" at byte offset 0'),
        ("1 < 2", 'Unsupported start tag "" at byte offset 2'),
        ("中<br/>", 'Unsupported start tag "br/" at byte offset 3'),
        ("a <", "Unclosed start tag at byte offset 2"),
        ('<a href="x>y', "Unclosed start tag"),
        ('<span class="x">y</span>', 'Tag "span" must have class "tg-spoiler"'),
        ("A & B", 'Unescaped "&" at byte offset 2'),
        ("&nbsp;", 'Unescaped "&"'),
    ],
)
def test_errors(source: str, fragment: str) -> None:
    error = check_html(source)
    assert error is not None and fragment in error


def test_lenient_ampersand_mode() -> None:
    assert parse_html("A & B &nbsp;", strict_ampersand=False)[0] == "A & B &nbsp;"
    assert check_html("<b>ok</b> &amp;") is None
