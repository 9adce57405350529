"""Problems found in an organisation file, and the error that carries them."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

__all__ = ["OrgFileError", "Problem"]


@dataclass(frozen=True)
class Problem:
    """One thing wrong with the organisation file (or a units CSV it refers to).

    ``place`` is a key path inside the TOML document such as
    ``projects[2] (sunshine).region``. List indexes are **1-based** (``projects[1]``
    is the first ``[[projects]]`` table) and the item's ``key`` (for staff: the
    ``telegram_id``) is shown in parentheses when known. ``place`` is empty for
    problems about the file as a whole (unreadable file, TOML syntax error).

    ``line``/``column`` are 1-based positions in ``file``. For TOML syntax errors
    they come from the parser; otherwise the line is a best-effort search of the
    raw text for the offending key (or its enclosing table header) and may be
    ``None``. For CSV row problems ``file`` is the CSV file and ``line`` its line.
    """

    place: str
    message: str
    line: int | None = None
    column: int | None = None
    file: str | None = None

    def __str__(self) -> str:
        where = self.file or ""
        if self.line is not None:
            where = f"{where}:{self.line}" if where else f"line {self.line}"
            if self.column is not None:
                where += f":{self.column}"
        return ": ".join(part for part in (where, self.place, self.message) if part)


class OrgFileError(Exception):
    """Raised by ``load_organisation`` when the file has one or more problems."""

    def __init__(self, problems: Iterable[Problem], path: str | None = None) -> None:
        self.problems: list[Problem] = list(problems)
        self.path = path
        count = len(self.problems)
        head = f"{path}: " if path else ""
        noun = "problem" if count == 1 else "problems"
        lines = [f"{head}{count} {noun} in organisation file"]
        lines += [f"  {problem}" for problem in self.problems]
        super().__init__("\n".join(lines))
