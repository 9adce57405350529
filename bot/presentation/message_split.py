"""Cutting long HTML messages into parts Telegram accepts (4096 characters each).

Telegram counts the text after parsing entities, in UTF-16 code units; we count
the raw HTML the same way, which is never less, so every part is safely short.
Parts end at a line break where possible (else at a space, else anywhere), never
inside a tag or an ``&entity;``, and tags still open at a cut are closed at the
end of the part and opened again at the start of the next, so each part is
valid HTML on its own.
"""

from __future__ import annotations

import re

TEXT_LIMIT = 4096
CAPTION_LIMIT = 1024
_TOKEN = re.compile(r"<[^>]*>|&[#a-zA-Z0-9]+;|[^<&]+|[<&]", re.DOTALL)
_TAG = re.compile(r"<\s*(/)?\s*([a-zA-Z-]+)[^>]*?(/)?\s*>", re.DOTALL)
ELLIPSIS = "…"


def units(text: str) -> int:
    """Length as Telegram counts it: UTF-16 code units."""
    return len(text.encode("utf-16-le")) // 2


def _pieces(text: str) -> list[str]:
    """Tags and entities whole; plain text one character at a time."""
    pieces: list[str] = []
    for match in _TOKEN.finditer(text):
        token = match.group(0)
        if token.startswith(("<", "&")) and len(token) > 1:
            pieces.append(token)
        else:
            pieces.extend(token)
    return pieces


def _track(stack: list[tuple[str, str]], piece: str) -> None:
    tag = _TAG.fullmatch(piece)
    if tag is None:
        return
    closing, name, self_closing = tag.group(1), tag.group(2).lower(), tag.group(3)
    if self_closing:
        return
    if closing:
        for index in range(len(stack) - 1, -1, -1):
            if stack[index][0] == name:
                del stack[index:]
                break
    else:
        stack.append((name, piece))


def _closing(stack: list[tuple[str, str]]) -> str:
    return "".join(f"</{name}>" for name, _ in reversed(stack))


def _opening(stack: list[tuple[str, str]]) -> str:
    return "".join(tag for _, tag in stack)


def _closing_units(stack: list[tuple[str, str]]) -> int:
    return sum(len(name) + 3 for name, _ in stack)


def _unit(piece: str) -> int:
    if len(piece) == 1:
        return 2 if ord(piece) > 0xFFFF else 1
    return units(piece)


def split_html(text: str, limit: int = TEXT_LIMIT) -> list[str]:
    """``text`` as parts of at most ``limit`` units (one part if it fits)."""
    if units(text) <= limit:
        return [text]
    parts: list[str] = []
    pieces = _pieces(text)
    stack: list[tuple[str, str]] = []
    start = 0
    while start < len(pieces):
        prefix = _opening(stack)
        body: list[str] = []
        size = units(prefix)
        trial = list(stack)
        closing = _closing_units(trial)
        cut = None  # (index in pieces, stack there, length of body, 2 = newline / 1 = space)
        index = start
        while index < len(pieces):
            piece = pieces[index]
            after, after_closing = trial, closing
            if piece[0] == "<" and len(piece) > 1:  # only tags change what must be closed
                after = list(trial)
                _track(after, piece)
                after_closing = _closing_units(after)
            piece_units = _unit(piece)
            if size + piece_units + after_closing > limit and body:
                break
            body.append(piece)
            size += piece_units
            trial, closing = after, after_closing
            index += 1
            if piece == "\n":
                cut = (index, list(trial), len(body), 2)
            elif piece == " " and (cut is None or cut[3] < 2):
                cut = (index, list(trial), len(body), 1)
        if index >= len(pieces):
            parts.append(prefix + "".join(body) + _closing(trial))
            break
        if cut is not None and cut[2] > len(body) // 3:
            index, trial, kept, _ = cut
            body = body[:kept]
        parts.append((prefix + "".join(body)).rstrip("\n ") + _closing(trial))
        stack = trial
        start = index
        while start < len(pieces) and pieces[start] == "\n":
            start += 1
    return [part for part in parts if part.strip()]


def truncate_html(text: str, limit: int = TEXT_LIMIT) -> str:
    """The first part of ``text`` that fits, with an ellipsis when something was cut."""
    if units(text) <= limit:
        return text
    first = split_html(text, limit - 1)[0]
    return first + ELLIPSIS
