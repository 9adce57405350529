"""What follows a change of someone's roles (or of a staff member's language)."""

from __future__ import annotations

from dataclasses import dataclass

from bot.services.context import Notice


@dataclass(frozen=True)
class StaffProfileChanged(Notice):
    """A person's roles or a staff member's language changed: what they are offered follows."""

    telegram_id: int
