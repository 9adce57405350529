"""Validation and entity extraction for ``parse_mode="HTML"``.

The real server (TDLib's ``parse_html``) rejects unknown tags, misnested or unclosed
tags and a bare ``<``; the bot under test must never send such text, because user
input that is not escaped turns into a 400 in production.  This module reproduces
that check and returns the visible text plus the entities Telegram would attach, so
that length limits and "message is not modified" comparisons work on what Telegram
actually stores.

Why not :mod:`html.parser`: it silently repairs or drops malformed input (``"a&b"``
loses the ``&``, ``"</>"`` vanishes, ``"</ x>"`` becomes a comment).  Those are
exactly the mistakes we want to surface, so a small scanner that mirrors TDLib's
tokenizer is used instead.

Deviation on purpose: TDLib keeps a ``&`` that does not start one of the entities it
knows (``&lt; &gt; &amp; &quot; &#NN; &#xHH;``) as a literal; the Bot API documentation
says such a ``&`` *must* be escaped.  With ``strict_ampersand=True`` (the default) we
follow the documentation and report it, which catches un-escaped user input early.
That error text is ours, not Telegram's.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from fake_telegram.text_units import utf16_len

#: tag -> entity type; ``None`` means the type depends on attributes/nesting.
ALLOWED_TAGS: dict[str, str | None] = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "tg-spoiler": "spoiler",
    "span": "spoiler",
    "a": None,
    "code": "code",
    "pre": "pre",
    "blockquote": None,
    "tg-emoji": None,
}

_ENTITY_RE = re.compile(r"&(?:(lt|gt|amp|quot)|#([0-9]{1,7})|#[xX]([0-9a-fA-F]{1,6}));")
_NAMED = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}
_SPACE = " \t\r\n\f\v"
_ATTR_NAME_RE = re.compile(r"[A-Za-z0-9_-]+")


class HtmlParseError(ValueError):
    """Raised with the detail part of "can't parse entities: <detail>"."""


@dataclass
class _OpenTag:
    name: str
    utf16_start: int
    seq: int
    attrs: dict[str, str] = field(default_factory=dict)
    language: str | None = None


def _decode_entity(match: re.Match[str]) -> str | None:
    named, dec, hexa = match.groups()
    if named:
        return _NAMED[named]
    code = int(dec, 10) if dec else int(hexa, 16)
    if code == 0 or code > 0x10FFFF or 0xD800 <= code <= 0xDFFF:
        return None
    return chr(code)


class _Scanner:
    """One pass over the source; keeps the UTF-16 position of the visible text."""

    def __init__(self, source: str, strict_ampersand: bool) -> None:
        self.src = source
        self.strict = strict_ampersand
        self.out: list[str] = []
        self.pos16 = 0
        self.stack: list[_OpenTag] = []
        self.entities: list[tuple[int, int, int, dict[str, Any]]] = []
        self.seq = 0

    def byte_offset(self, index: int) -> int:
        return len(self.src[:index].encode("utf-8"))

    def fail(self, message: str) -> HtmlParseError:
        return HtmlParseError(message)

    def emit(self, chunk: str) -> None:
        if chunk:
            self.out.append(chunk)
            self.pos16 += utf16_len(chunk)

    def run(self) -> tuple[str, list[dict[str, Any]]]:
        src, n, i = self.src, len(self.src), 0
        while i < n:
            ch = src[i]
            if ch == "&":
                i = self.ampersand(i)
            elif ch == "<":
                i = self.tag(i)
            else:
                j = i + 1
                while j < n and src[j] not in "<&":
                    j += 1
                self.emit(src[i:j])
                i = j
        if self.stack:
            name = self.stack[-1].name
            raise self.fail(f'Can\'t find end tag corresponding to start tag "{name}"')
        self.entities.sort(key=lambda item: (item[0], -item[1], item[2]))
        return "".join(self.out), [entity for _, _, _, entity in self.entities]

    def ampersand(self, i: int) -> int:
        match = _ENTITY_RE.match(self.src, i)
        if match:
            decoded = _decode_entity(match)
            if decoded is not None:
                self.emit(decoded)
                return match.end()
        if self.strict:
            raise self.fail(
                f'Unescaped "&" at byte offset {self.byte_offset(i)}; it must be written as "&amp;"'
            )
        self.emit("&")
        return i + 1

    def tag(self, begin: int) -> int:
        src, n = self.src, len(self.src)
        if begin + 1 >= n:
            raise self.fail(f"Unclosed start tag at byte offset {self.byte_offset(begin)}")
        if src[begin + 1] == "/":
            return self.end_tag(begin)
        j = begin + 1
        while j < n and src[j] not in _SPACE and src[j] != ">":
            j += 1
        name = src[begin + 1 : j].lower()
        if name not in ALLOWED_TAGS:
            raise self.fail(
                f'Unsupported start tag "{name}" at byte offset {self.byte_offset(begin)}'
            )
        attrs, j = self.attributes(begin, j, name)
        if name == "span" and attrs.get("class") != "tg-spoiler":
            raise self.fail(
                f'Tag "span" must have class "tg-spoiler" at byte offset {self.byte_offset(begin)}'
            )
        self.seq += 1
        self.stack.append(_OpenTag(name=name, utf16_start=self.pos16, seq=self.seq, attrs=attrs))
        return j

    def attributes(self, begin: int, j: int, tag: str) -> tuple[dict[str, str], int]:
        """Parse ``name``, ``name=value``, ``name="value"`` pairs up to ``>``."""
        src, n = self.src, len(self.src)
        attrs: dict[str, str] = {}
        while True:
            while j < n and src[j] in _SPACE:
                j += 1
            if j >= n:
                raise self.fail(f"Unclosed start tag at byte offset {self.byte_offset(begin)}")
            if src[j] == ">":
                return attrs, j + 1
            match = _ATTR_NAME_RE.match(src, j)
            if not match:
                raise self.fail(
                    f'Empty attribute name in the tag "{tag}" at byte offset '
                    f"{self.byte_offset(begin)}"
                )
            attr = match.group(0).lower()
            j = match.end()
            while j < n and src[j] in _SPACE:
                j += 1
            if j >= n or src[j] != "=":
                attrs[attr] = ""
                continue
            j += 1
            while j < n and src[j] in _SPACE:
                j += 1
            if j >= n:
                raise self.fail(f"Unclosed start tag at byte offset {self.byte_offset(begin)}")
            if src[j] in "\"'":
                quote = src[j]
                end = src.find(quote, j + 1)
                if end < 0:
                    raise self.fail(f"Unclosed start tag at byte offset {self.byte_offset(begin)}")
                raw, j = src[j + 1 : end], end + 1
            else:
                k = j
                while k < n and src[k] not in _SPACE and src[k] != ">":
                    k += 1
                raw, j = src[j:k], k
            attrs[attr] = _ENTITY_RE.sub(lambda m: _decode_entity(m) or m.group(0), raw)

    def end_tag(self, begin: int) -> int:
        src = self.src
        close = src.find(">", begin)
        if close < 0:
            raise self.fail(f"Unclosed end tag at byte offset {self.byte_offset(begin)}")
        name = src[begin + 2 : close].strip().lower()
        if not self.stack:
            raise self.fail(f"Unexpected end tag at byte offset {self.byte_offset(begin)}")
        top = self.stack[-1]
        if name != top.name:
            raise self.fail(
                f"Unmatched end tag at byte offset {self.byte_offset(begin)}, "
                f'expected "</{top.name}>", found "</{name}>"'
            )
        self.stack.pop()
        self.close_entity(top)
        return close + 1

    def close_entity(self, tag: _OpenTag) -> None:
        length = self.pos16 - tag.utf16_start
        entity: dict[str, Any]
        if tag.name == "code" and self.stack and self.stack[-1].name == "pre":
            language = tag.attrs.get("class", "")
            if language.startswith("language-"):
                # <pre><code class="language-x"> is one pre entity with a language.
                self.stack[-1].language = language[len("language-") :]
                return
        kind = ALLOWED_TAGS[tag.name]
        if tag.name == "a":
            href = tag.attrs.get("href")
            if not href:
                return
            entity = {"type": "text_link", "url": href}
        elif tag.name == "blockquote":
            expandable = "expandable" in tag.attrs
            entity = {"type": "expandable_blockquote" if expandable else "blockquote"}
        elif tag.name == "tg-emoji":
            emoji_id = tag.attrs.get("emoji-id")
            if not emoji_id:
                return
            entity = {"type": "custom_emoji", "custom_emoji_id": emoji_id}
        else:
            entity = {"type": kind}
            if tag.name == "pre" and tag.language:
                entity["language"] = tag.language
        if length <= 0:
            return
        entity = {"type": entity.pop("type"), "offset": tag.utf16_start, "length": length, **entity}
        self.entities.append((tag.utf16_start, length, tag.seq, entity))


def parse_html(text: str, *, strict_ampersand: bool = True) -> tuple[str, list[dict[str, Any]]]:
    """Return ``(visible_text, entities)`` or raise :class:`HtmlParseError`.

    Entity offsets/lengths are in UTF-16 code units, as in the Bot API.
    """
    return _Scanner(text, strict_ampersand).run()


def check_html(text: str, *, strict_ampersand: bool = True) -> str | None:
    """Convenience for tests: the parse error detail, or ``None`` when ``text`` is valid."""
    try:
        parse_html(text, strict_ampersand=strict_ampersand)
    except HtmlParseError as exc:
        return str(exc)
    return None
