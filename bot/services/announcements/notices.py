"""What notices announce to the presentation layer (rendered in bot/presentation/outbound/
announcements.py)."""

from __future__ import annotations

from dataclasses import dataclass

from bot.services.context import Notice


@dataclass(frozen=True)
class Reader:
    """A resident a notice goes to, and the languages to choose theirs from."""

    person_id: int
    chat_id: int
    language: str | None
    telegram_language: str | None


@dataclass(frozen=True)
class AnnouncementSent(Notice):
    """Queue the notice for each reader and a copy for each staff group of the audience."""

    announcement_id: int
    readers: tuple[Reader, ...]
    group_unit_ids: tuple[int, ...]


@dataclass(frozen=True)
class AnnouncementChanged(Notice):
    """The notice was corrected or withdrawn: messages not sent yet change, sent ones are
    edited."""

    announcement_id: int


@dataclass(frozen=True)
class AnnouncementProgress(Notice):
    """How the delivery is going, for the sender (``final``: every message is settled)."""

    announcement_id: int
    delivered: int
    unreachable: int
    waiting: int
    final: bool
