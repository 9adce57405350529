"""Danger first: which reports must show the emergency hotline before anything else.

A category may be a danger in itself (``emergency = true`` in the organisation file,
e.g. gas); any report whose words describe a danger (a gas smell, someone trapped in a
lift, flooding, sparks, fire) is one too, whatever its category. The resident then
reads the number to call before any question about their ticket.
"""

from __future__ import annotations

import re

from sqlalchemy.ext.asyncio import AsyncSession

from bot.config.orgfile import Organisation
from bot.services.resident_units import units_of

# Chinese phrases are matched as substrings (no word boundaries in Chinese).
_DANGER_ZH = (
    "煤气味", "燃气味", "天然气味", "闻到煤气", "闻到燃气", "闻到天然气", "煤气泄漏", "燃气泄漏",
    "漏煤气", "漏燃气", "漏气", "困在电梯", "电梯困人", "电梯里困", "被困", "困人", "关在电梯",
    "卡在电梯", "水漫", "水淹", "淹了", "漫水", "发大水", "爆管", "喷水", "冒火花", "打火花",
    "火花", "着火", "起火", "失火", "冒烟", "烧焦", "焦糊味", "触电", "漏电",
)  # fmt: skip
# English phrases are matched as whole words, case-insensitively.
_DANGER_EN = (
    r"smell(?:s|ing)? (?:of )?gas", r"gas smell", r"gas leak(?:ing|s)?", r"leaking gas",
    r"trapped", r"stuck in (?:the |a )?(?:lift|elevator)", r"flood(?:ed|ing)?",
    r"burst pipe", r"sparks?", r"sparking", r"smoke", r"smoking socket",
    r"fire(?! (?:door|exit|escape|extinguisher|hydrant)s?\b)",
    r"burning smell", r"smell(?:s)? (?:of )?burning", r"electric shock", r"electrocuted",
)  # fmt: skip
_DANGER_EN_RE = re.compile(r"\b(?:" + "|".join(_DANGER_EN) + r")\b", re.IGNORECASE)


def sounds_dangerous(text: str) -> bool:
    """Whether the words describe a danger to people (gas, trapped, flooding, sparks, fire)."""
    if not text:
        return False
    compact = "".join(text.split())
    return any(phrase in compact for phrase in _DANGER_ZH) or bool(_DANGER_EN_RE.search(text))


def is_emergency(org: Organisation, category_key: str | None, text: str | None) -> bool:
    """A report to answer with the hotline first: a danger category, or dangerous words."""
    if category_key is not None:
        try:
            if org.category(category_key).emergency:
                return True
        except KeyError:
            pass
    return sounds_dangerous(text or "")


async def hotline_for_resident(
    session: AsyncSession, org: Organisation, person_id: int | None
) -> str | None:
    """The number a resident calls: their project's hotline (one project), else the company's."""
    if person_id is None:
        return org.hotline
    projects = {unit.project_key for unit in await units_of(session, person_id)}
    if len(projects) != 1:
        return org.hotline
    try:
        return org.hotline_for(projects.pop())
    except KeyError:  # a project no longer in the organisation file
        return org.hotline
