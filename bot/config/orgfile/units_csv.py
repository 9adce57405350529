"""Units listed in a CSV file, and merging them with inline buildings.

CSV format (UTF-8, an Excel BOM is fine)::

    building,unit,floor,kind
    1,101,1,
    1,102,1,apartment
    S,S01,1,shop

Columns are ``building,unit[,floor][,kind]``. The header row is optional: if the
first row contains a ``building`` or ``unit`` cell it names the columns (any
order, floor/kind may be left out); otherwise columns are taken positionally. Empty ``floor`` means
unknown, empty ``kind`` means ``apartment``. Blank lines and lines starting with
``#`` are skipped.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from storage.vocabulary import UnitKind

from .models import UNIT_KINDS, Building, UnitSpec, check_local_key

__all__ = ["CsvUnit", "CsvUnitsError", "merge_buildings", "read_units_csv"]

_COLUMNS = ("building", "unit", "floor", "kind")
_REQUIRED = ("building", "unit")


@dataclass(frozen=True)
class CsvUnit:
    building: str
    unit: UnitSpec
    line: int


@dataclass(frozen=True)
class CsvRowProblem:
    line: int | None
    message: str


class CsvUnitsError(Exception):
    """The CSV file could not be read at all (missing, unreadable, not UTF-8)."""


def read_units_csv(path: Path) -> tuple[list[CsvUnit], list[CsvRowProblem]]:
    """Read units from ``path``; bad rows are reported and skipped.

    Raises CsvUnitsError if the file cannot be read.
    """
    try:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            rows = list(_numbered_rows(csv.reader(handle)))
    except OSError as exc:
        raise CsvUnitsError(exc.strerror or str(exc)) from None
    except UnicodeDecodeError as exc:
        raise CsvUnitsError(f"not valid UTF-8 ({exc.reason} at byte {exc.start})") from None
    except csv.Error as exc:
        raise CsvUnitsError(f"malformed CSV: {exc}") from None

    units: list[CsvUnit] = []
    problems: list[CsvRowProblem] = []
    columns: tuple[str, ...] = _COLUMNS
    for position, (line, row) in enumerate(rows):
        cells = [cell.strip() for cell in row]
        if position == 0 and {"building", "unit"} & {cell.lower() for cell in cells}:
            header = tuple(cell.lower() for cell in cells)
            bad = [
                name for i, name in enumerate(header) if name not in _COLUMNS or name in header[:i]
            ]
            missing = [name for name in _REQUIRED if name not in header]
            if bad or missing:
                problems.append(
                    CsvRowProblem(
                        line,
                        f"bad header {','.join(header)}: expected columns "
                        "building,unit[,floor][,kind]",
                    )
                )
                return [], problems
            columns = header
            continue
        if len(cells) > len(columns):
            problems.append(
                CsvRowProblem(
                    line,
                    f"expected at most {len(columns)} columns ({','.join(columns)}), "
                    f"got {len(cells)}",
                )
            )
            continue
        values = dict(zip(columns, cells, strict=False))
        unit, error = _parse_row(values)
        if error is not None:
            problems.append(CsvRowProblem(line, error))
        elif unit is not None:
            units.append(CsvUnit(values["building"], unit, line))
    if not units and not problems:
        problems.append(CsvRowProblem(None, "the file lists no units"))
    return units, problems


def _numbered_rows(reader: Any) -> Iterator[tuple[int, list[str]]]:
    """Rows with the line they start on (quoted cells may span lines)."""
    line = 1
    for row in reader:
        start = line
        line = reader.line_num + 1
        if not any(cell.strip() for cell in row) or row[0].lstrip().startswith("#"):
            continue
        yield start, row


def _parse_row(values: dict[str, str]) -> tuple[UnitSpec | None, str | None]:
    for name in _REQUIRED:
        if not values.get(name):
            return None, f"missing {name}"
    try:
        check_local_key(values["building"])
        check_local_key(values["unit"])
    except ValueError as exc:
        return None, str(exc)
    floor: int | None = None
    raw_floor = values.get("floor", "")
    if raw_floor:
        try:
            floor = int(raw_floor)
        except ValueError:
            return None, f'floor must be a whole number (negative for basements), got "{raw_floor}"'
    kind = values.get("kind", "") or "apartment"
    if kind not in UNIT_KINDS:
        return None, f'unknown unit kind "{kind}" (expected one of {", ".join(UNIT_KINDS)})'
    try:
        return UnitSpec(key=values["unit"], floor=floor, kind=UnitKind(kind)), None
    except ValidationError as exc:  # pragma: no cover - guarded by the checks above
        return None, exc.errors()[0]["msg"]


@dataclass(frozen=True)
class DuplicateUnit:
    csv_unit: CsvUnit
    message: str


def merge_buildings(
    inline: list[Building], csv_units: list[CsvUnit]
) -> tuple[list[Building], list[DuplicateUnit]]:
    """Merge CSV units into inline buildings by building key.

    Inline buildings keep their order and names, English ones too (so an inline building with no
    units can name a building whose units come from the CSV); buildings only in
    the CSV are appended in order of first appearance, named by their key. A CSV
    unit already listed in the same building (earlier in the CSV, or inline) is
    reported and skipped. Duplicates among the inline units themselves are the
    model's business (``Building`` rejects them); here they are dropped silently,
    which lets the loader run this on partially valid projects too.
    """
    names: dict[str, str] = {}
    english: dict[str, str | None] = {}
    units: dict[str, list[UnitSpec]] = {}
    origin: dict[tuple[str, str], str] = {}
    for building in inline:
        key = getattr(building, "key", None)
        if key is None or key in names:
            continue
        names[key] = getattr(building, "name", None) or key
        english[key] = getattr(building, "name_en", None)
        units[key] = []
        for unit in getattr(building, "units", None) or []:
            if getattr(unit, "key", None) is None or (key, unit.key) in origin:
                continue
            origin[(key, unit.key)] = "inline in [[projects.buildings]]"
            units[key].append(unit)
    duplicates: list[DuplicateUnit] = []
    for item in csv_units:
        where = (item.building, item.unit.key)
        if where in origin:
            duplicates.append(
                DuplicateUnit(
                    item,
                    f'duplicate unit "{item.unit.key}" in building "{item.building}" '
                    f"(already listed {origin[where]})",
                )
            )
            continue
        origin[where] = f"on line {item.line}"
        names.setdefault(item.building, item.building)
        units.setdefault(item.building, []).append(item.unit)
    merged = [
        Building(key=key, name=names[key], name_en=english.get(key), units=units[key])
        for key in names
    ]
    return merged, duplicates
