"""Key paths ("places") inside the organisation document.

A path is a tuple of keys and **0-based** list indexes, as pydantic reports them:
``("projects", 1, "region")``. It is rendered for operators with **1-based**
indexes and the item's key: ``projects[2] (sunshine).region``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pydantic import BaseModel

__all__ = ["KeyPath", "format_place", "short_place"]

KeyPath = tuple[str | int, ...]

# Fields that identify a list item, in order of preference.
_LABEL_FIELDS = ("key", "telegram_id")


def _child(node: Any, part: str | int) -> Any:
    if isinstance(part, int):
        if isinstance(node, list | tuple) and 0 <= part < len(node):
            return node[part]
        return None
    if isinstance(node, dict):
        return node.get(part)
    if isinstance(node, BaseModel):
        return getattr(node, part, None)
    return None


def _label(node: Any) -> str | None:
    for name in _LABEL_FIELDS:
        value = node.get(name) if isinstance(node, dict) else getattr(node, name, None)
        if isinstance(value, str | int) and not isinstance(value, bool) and str(value):
            return str(value)
    return None


def format_place(path: Sequence[str | int], document: Any = None) -> str:
    """Render ``path``; ``document`` (raw TOML data or models) supplies item keys."""
    out = ""
    node = document
    for part in path:
        node = _child(node, part)
        if isinstance(part, int):
            out += f"[{part + 1}]"
            label = _label(node) if isinstance(node, dict | BaseModel) else None
            if label is not None:
                out += f" ({label})"
        else:
            out += f".{part}" if out else str(part)
    return out


def short_place(path: Sequence[str | int]) -> str:
    """Render ``path`` without item keys: ``regions[1]``."""
    return format_place(path)
