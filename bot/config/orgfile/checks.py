"""Cross-reference checks between parts of the organisation file.

These run on validated models. So that one run reports every problem in the
file, the loader also passes *partial* models for items that had field errors
(built with ``model_construct`` from the fields that are valid on their own) or
``None`` for unusable items; the checks only look at fields that are present.

Each finding is ``(path, message)`` with a 0-based key path (see ``places.py``).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any

from .places import KeyPath, format_place

# The checks read models by attribute name and accept partial ones, so they name no model
# class (``models`` calls these checks; importing it back would make a cycle).
Item = Any

__all__ = ["Finding", "cross_reference_findings"]

Finding = tuple[KeyPath, str]


def _get(item: Any, name: str) -> Any:
    # Items may be None (unusable) or partial (fields that failed are absent).
    return getattr(item, name, None) if item is not None else None


def _quoted(values: list[str]) -> str:
    return ", ".join(f'"{value}"' for value in values) if values else "none"


def cross_reference_findings(
    *,
    hq: Item | None,
    regions: list[Item | None],
    projects: list[Item | None],
    staff: list[Item | None],
    categories: list[Item | None],
    sla_rules: list[Item | None],
    invalid_keys: Mapping[str, Collection[str]] | None = None,
    sla_calendars: Mapping[str, Any] | None = None,
) -> list[Finding]:
    """Check references and uniqueness.

    ``invalid_keys`` maps a section ("hq", "regions", "projects", "categories") to
    keys of items that exist in the file but failed validation; references to them
    are not reported again as unknown.
    """
    findings: list[Finding] = []
    invalid = invalid_keys or {}
    invalid_units = {
        *invalid.get("hq", ()),
        *invalid.get("regions", ()),
        *invalid.get("projects", ()),
    }

    # Units (hq, regions, projects) share one key namespace.
    unit_owner: dict[str, KeyPath] = {}
    unit_entries: list[tuple[KeyPath, Any]] = [(("hq",), _get(hq, "key"))]
    unit_entries += [(("regions", i), _get(r, "key")) for i, r in enumerate(regions)]
    unit_entries += [(("projects", i), _get(p, "key")) for i, p in enumerate(projects)]
    for path, key in unit_entries:
        if key is None:
            continue
        if key in unit_owner:
            findings.append(
                (
                    (*path, "key"),
                    f'duplicate key "{key}": already used by {format_place(unit_owner[key])} '
                    "(the hq, regions and projects share one set of keys)",
                )
            )
        else:
            unit_owner[key] = path

    region_keys = list(dict.fromkeys(k for r in regions if (k := _get(r, "key")) is not None))
    prefix_owner: dict[str, tuple[int, Any]] = {}
    for i, project in enumerate(projects):
        region = _get(project, "region")
        if (
            region is not None
            and region not in region_keys
            and region not in invalid.get("regions", ())
        ):
            findings.append(
                (
                    ("projects", i, "region"),
                    f'unknown region "{region}" (defined regions: {_quoted(region_keys)})',
                )
            )
        prefix = _get(project, "ticket_prefix")
        if prefix is None:
            continue
        if prefix in prefix_owner:
            j, other = prefix_owner[prefix]
            findings.append(
                (
                    ("projects", i, "ticket_prefix"),
                    f'duplicate ticket_prefix "{prefix}": already used by '
                    + format_place(("projects", j))
                    + (f" ({other})" if other is not None else ""),
                )
            )
        else:
            prefix_owner[prefix] = (i, _get(project, "key"))

    id_owner: dict[int, int] = {}
    for i, member in enumerate(staff):
        telegram_id = _get(member, "telegram_id")
        if telegram_id is not None:
            if telegram_id in id_owner:
                findings.append(
                    (
                        ("staff", i, "telegram_id"),
                        f"duplicate telegram_id {telegram_id}: "
                        f"already used by staff[{id_owner[telegram_id] + 1}]",
                    )
                )
            else:
                id_owner[telegram_id] = i
        unit = _get(member, "unit")
        if unit is not None and unit not in unit_owner and unit not in invalid_units:
            findings.append(
                (
                    ("staff", i, "unit"),
                    f'unknown unit "{unit}": staff belong to the hq, a region or a project '
                    f"(defined: {_quoted(list(unit_owner))})",
                )
            )

    category_by_key: dict[str, Any] = {}
    for i, category in enumerate(categories):
        key = _get(category, "key")
        if key is None:
            continue
        if key in category_by_key:
            findings.append((("categories", i, "key"), f'duplicate category key "{key}"'))
        else:
            category_by_key[key] = category

    for i, rule in enumerate(sla_rules):
        listed_keys = _get(rule, "category")
        if listed_keys is None:
            continue
        unknown = [key for key in listed_keys if key not in category_by_key]
        for key in unknown:
            if key not in invalid.get("categories", ()):
                findings.append(
                    (
                        ("sla", "rules", i, "category"),
                        f'unknown category "{key}" (defined: {_quoted(list(category_by_key))})',
                    )
                )
        if unknown:
            continue
        listed = [category_by_key[key] for key in listed_keys]
        kind = _get(rule, "kind")
        if kind is not None and not any(kind in (_get(c, "kinds") or ()) for c in listed):
            findings.append(
                (
                    ("sla", "rules", i),
                    f'rule can never match: no listed category accepts kind "{kind}"',
                )
            )
        if _get(rule, "urgent") and not any(_get(c, "urgent_allowed") for c in listed):
            findings.append(
                (
                    ("sla", "rules", i),
                    "rule can never match: urgent = true but no listed category "
                    "has urgent_allowed = true",
                )
            )
    findings += _calendar_findings(sla_calendars or {}, projects, invalid.get("projects", ()))
    return findings


def _calendar_findings(
    calendars: Mapping[str, Any], projects: list[Item | None], invalid: Collection[str]
) -> list[Finding]:
    """Each business calendar names known projects; a project counts in one calendar."""
    findings: list[Finding] = []
    known = [key for p in projects if (key := _get(p, "key")) is not None]
    owner: dict[str, str] = {}
    for name, calendar in calendars.items():
        for index, key in enumerate(_get(calendar, "projects") or []):
            place: KeyPath = ("sla", "calendars", name, "projects", index)
            if key not in known and key not in invalid:
                findings.append((place, f'unknown project "{key}" (defined: {_quoted(known)})'))
            elif key in owner:
                findings.append((place, f'project "{key}" is already in calendar "{owner[key]}"'))
            else:
                owner[key] = name
    return findings
