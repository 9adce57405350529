"""Best-effort line numbers for key paths in a TOML text.

``tomllib`` returns plain data without positions, so this module scans the raw
text line by line for table headers (``[sla]``, ``[[projects]]``,
``[[projects.buildings]]``) and ``key =`` lines, and records the line where each
key path first appears. Array-of-tables headers are counted, so the second
``[[projects]]`` is ``("projects", 1)`` and a ``[[projects.buildings]]`` belongs to
the ``[[projects]]`` table above it.

``line_for(path)`` returns the line of the longest recorded prefix of ``path``:
a missing key falls back to its table header, an element of an inline array
falls back to the array's key (but a table of an array of tables that is not
in the text gives ``None``, not some other table). It does not understand inline arrays of tables
(``projects = [{...}]``) and skips multi-line strings heuristically; in those
cases lines may be missing (``None``) or point at the enclosing table.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

__all__ = ["TomlLocator"]

_SEGMENT = r'(?:[A-Za-z0-9_-]+|"[^"]*"|\'[^\']*\')'
_DOTTED = rf"{_SEGMENT}(?:\s*\.\s*{_SEGMENT})*"
_ARRAY_HEADER_RE = re.compile(rf"\s*\[\[\s*({_DOTTED})\s*\]\]\s*(?:#.*)?")
_TABLE_HEADER_RE = re.compile(rf"\s*\[\s*({_DOTTED})\s*\]\s*(?:#.*)?")
_KEY_RE = re.compile(rf"\s*({_DOTTED})\s*=")
_SEGMENT_RE = re.compile(_SEGMENT)


def _split_dotted(dotted: str) -> list[str]:
    parts = []
    for match in _SEGMENT_RE.finditer(dotted):
        part = match.group(0)
        if part[:1] in "\"'":
            part = part[1:-1]
        parts.append(part)
    return parts


def _bracket_delta(text: str) -> int:
    """Net number of ``[``/``{`` opened on this line, ignoring strings and comments."""
    delta = 0
    quote: str | None = None
    escaped = False
    for char in text:
        if quote is not None:
            if escaped:
                escaped = False
            elif char == "\\" and quote == '"':
                escaped = True
            elif char == quote:
                quote = None
        elif char in "\"'":
            quote = char
        elif char == "#":
            break
        elif char in "[{":
            delta += 1
        elif char in "]}":
            delta -= 1
    return delta


class TomlLocator:
    def __init__(self, text: str) -> None:
        self._lines: dict[tuple[str | int, ...], int] = {}
        self._arrays: set[tuple[str | int, ...]] = set()  # arrays of tables seen
        self._scan(text)

    def _record(self, path: tuple[str | int, ...], line: int) -> None:
        self._lines.setdefault(path, line)

    def _scan(self, text: str) -> None:
        array_counts: dict[tuple[str | int, ...], int] = {}
        table: tuple[str | int, ...] = ()
        in_multiline: str | None = None
        depth = 0  # > 0 while inside a multi-line array value
        for number, line in enumerate(text.splitlines(), start=1):
            if in_multiline is not None:
                if line.count(in_multiline) % 2 == 1:
                    in_multiline = None
                continue
            if depth > 0:
                depth = max(0, depth + _bracket_delta(line))
                continue
            header = _ARRAY_HEADER_RE.fullmatch(line)
            is_array = header is not None
            if header is None:
                header = _TABLE_HEADER_RE.fullmatch(line)
            if header is not None:
                parts = _split_dotted(header.group(1))
                current: tuple[str | int, ...] = ()
                for part in parts[:-1]:
                    current = (*current, part)
                    if current in array_counts:  # descend into the latest element
                        current = (*current, array_counts[current] - 1)
                last = (*current, parts[-1])
                if is_array:
                    index = array_counts.get(last, 0)
                    array_counts[last] = index + 1
                    self._record(last, number)
                    table = (*last, index)
                else:
                    table = last
                self._record(table, number)
                continue
            key = _KEY_RE.match(line)
            if key is not None:
                self._record((*table, *_split_dotted(key.group(1))), number)
                rest = line[key.end() :]
                for quote in ('"""', "'''"):
                    if rest.count(quote) % 2 == 1:
                        in_multiline = quote
                        break
                else:
                    depth = max(0, _bracket_delta(rest))
        self._arrays = set(array_counts)

    def line_for(self, path: Sequence[str | int]) -> int | None:
        """Line (1-based) of ``path`` or of its closest recorded ancestor."""
        parts = tuple(path)
        for length in range(len(parts), 0, -1):
            line = self._lines.get(parts[:length])
            if line is not None:
                return line
            if isinstance(parts[length - 1], int) and parts[: length - 1] in self._arrays:
                return None  # e.g. the 3rd [[projects]] is not in the text
        return None
