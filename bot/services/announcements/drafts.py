"""What a notice is made of while it is composed, and the rules of its timing: the
time window people type, and when quiet hours hold a notice back."""

from __future__ import annotations

import enum
import re
from dataclasses import asdict, dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from bot.config.orgfile.models import QuietHours
from bot.i18n import N_
from bot.services.errors import Refused


class AnnouncementKind(enum.StrEnum):
    OUTAGE = "outage"  # planned outage or works
    INCIDENT = "incident"  # something broke: urgent
    GENERAL = "general"  # news; residents may mute these


# Outages and incidents answer residents' reports of their category while active.
ANSWERING_KINDS = frozenset({AnnouncementKind.OUTAGE, AnnouncementKind.INCIDENT})
TEXT_MAX = 2000


class NotForNotices(Refused):
    code = "notice_not_staff"
    default_reason = N_("Only the property office's staff can send notices.")


class AudienceBeyondScope(Refused):
    code = "notice_beyond_scope"
    default_reason = N_("You can only send notices to the projects you work in.")


class UnreadableWindow(Refused):
    code = "notice_window"
    audited = False
    default_reason = N_(
        "I could not read that time. Write it like 10:00-16:00, 11-03 10:00-16:00 "
        "or 2026-11-03 22:00-11-04 06:00."
    )


class EmptyText(Refused):
    code = "notice_text"
    audited = False
    default_reason = N_("Please write the text of the notice (at most {limit} characters).")


class NoSuchNotice(Refused):
    code = "notice_unknown"
    default_reason = N_("That notice no longer exists or was withdrawn.")


class NotYourNotice(Refused):
    code = "notice_not_yours"
    default_reason = N_("Only its sender or a manager of its audience can change this notice.")


@dataclass
class Draft:
    """A notice being composed (kept in the sender's conversation state)."""

    id: int  # the conversation's id: buttons of another one are refused
    unit_id: int | None = None
    building_ids: list[int] = field(default_factory=list)
    buildings_chosen: bool = False
    kind: str | None = None
    category_key: str | None = None
    category_chosen: bool = False
    starts_at: str | None = None  # ISO, UTC
    ends_at: str | None = None
    window_chosen: bool = False
    text_zh: str | None = None
    text_en: str | None = None
    en_chosen: bool = False
    photo_file_id: str | None = None
    photo_chosen: bool = False

    def to_data(self) -> dict[str, Any]:
        return {"notice_draft": asdict(self)}

    @classmethod
    def from_data(cls, data: dict[str, Any]) -> Draft | None:
        raw = data.get("notice_draft")
        return cls(**raw) if isinstance(raw, dict) else None

    @property
    def window(self) -> tuple[datetime | None, datetime | None]:
        def parse(value: str | None) -> datetime | None:
            return datetime.fromisoformat(value) if value else None

        return parse(self.starts_at), parse(self.ends_at)


def clean_text(text: str | None) -> str:
    words = (text or "").strip()
    if not words or len(words) > TEXT_MAX:
        raise EmptyText(limit=TEXT_MAX)
    return words


_DATE = r"(?:\d{4}-\d{1,2}-\d{1,2}|\d{1,2}-\d{1,2})"
_WINDOW = re.compile(
    rf"^(?:(?P<d1>{_DATE})\s+)?(?P<t1>\d{{1,2}}:\d{{2}})\s*(?:-|–|—|~|到|至)\s*"
    rf"(?:(?P<d2>{_DATE})\s+)?(?P<t2>\d{{1,2}}:\d{{2}})$"
)


def _day(text: str | None, today: date) -> date | None:
    if text is None:
        return None
    parts = [int(p) for p in text.split("-")]
    try:
        if len(parts) == 3:
            return date(parts[0], parts[1], parts[2])
        found = date(today.year, parts[0], parts[1])
    except ValueError:
        raise UnreadableWindow() from None
    return found if found >= today - timedelta(days=1) else found.replace(year=today.year + 1)


def _clock(text: str) -> time:
    hours, minutes = (int(p) for p in text.split(":"))
    if hours > 23 or minutes > 59:
        raise UnreadableWindow()
    return time(hours, minutes)


def parse_window(text: str, now: datetime, zone: ZoneInfo) -> tuple[datetime, datetime]:
    """``10:00-16:00`` (today), ``11-03 10:00-16:00``, ``2026-11-03 22:00-11-04 06:00``;
    an end before the start (no end date) is the next day. Returns UTC-aware times."""
    normal = text.strip().replace(":", ":").replace("/", "-").replace("~", "~")
    found = _WINDOW.match(normal)
    if found is None:
        raise UnreadableWindow()
    today = now.astimezone(zone).date()
    first = _day(found["d1"], today) or today
    last = _day(found["d2"], today) or first
    start = datetime.combine(first, _clock(found["t1"]), zone)
    end = datetime.combine(last, _clock(found["t2"]), zone)
    if end <= start and found["d2"] is None:
        end += timedelta(days=1)
    if end <= start:
        raise UnreadableWindow()
    return start.astimezone(now.tzinfo), end.astimezone(now.tzinfo)


def quiet_until(quiet: QuietHours | None, now: datetime, zone: ZoneInfo) -> datetime | None:
    """When the quiet hours around ``now`` end (None: it is not quiet now)."""
    if quiet is None:
        return None
    local = now.astimezone(zone)
    moment = local.time().replace(tzinfo=None)
    start, end = quiet.start_time, quiet.end_time
    inside = start <= moment < end if start < end else (moment >= start or moment < end)
    if not inside:
        return None
    release = datetime.combine(local.date(), end, zone)
    if release <= local:
        release += timedelta(days=1)
    return release.astimezone(now.tzinfo)


def is_urgent(kind: str, starts_at: datetime | None, release: datetime | None) -> bool:
    """An incident is urgent; so is an outage that starts before the quiet hours end."""
    if kind == AnnouncementKind.INCIDENT:
        return True
    if kind == AnnouncementKind.OUTAGE and release is not None:
        return starts_at is None or starts_at <= release
    return False


def deliver_at(
    quiet: QuietHours | None, kind: str, starts_at: datetime | None, now: datetime, zone: ZoneInfo
) -> datetime:
    """Now, or the end of the quiet hours for a notice that can wait."""
    release = quiet_until(quiet, now, zone)
    if release is None or is_urgent(kind, starts_at, release):
        return now
    return release
