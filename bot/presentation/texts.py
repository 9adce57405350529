"""Names of statuses, kinds and categories in the reader's language; times; initials."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from bot.config.orgfile import Organisation, display_name
from bot.i18n import N_, translate
from storage.models import TicketKind, TicketStatus

# A status as the resident reads it ("waiting for your answer")...
STATUS_NAMES = {
    TicketStatus.NEW: N_("new"),
    TicketStatus.ACKNOWLEDGED: N_("taken"),
    TicketStatus.IN_PROGRESS: N_("in progress"),
    TicketStatus.WAITING_ON_RESIDENT: N_("waiting for your answer"),
    TicketStatus.RESOLVED: N_("resolved"),
    TicketStatus.CLOSED: N_("closed"),
    TicketStatus.CANCELLED: N_("cancelled"),
}
# ... and as staff read it, on cards, in Details, queues and exports.
STAFF_STATUS_NAMES = {
    **STATUS_NAMES,
    TicketStatus.WAITING_ON_RESIDENT: N_("waiting on resident"),
}

# The status at a glance, in the resident's list and on the staff card.
STATUS_ICONS = {
    TicketStatus.NEW: "🆕",
    TicketStatus.ACKNOWLEDGED: "👀",
    TicketStatus.IN_PROGRESS: "🔧",
    TicketStatus.WAITING_ON_RESIDENT: "⏸",
    TicketStatus.RESOLVED: "✅",
    TicketStatus.CLOSED: "🏁",
    TicketStatus.CANCELLED: "🚫",
}

KIND_NAMES = {
    TicketKind.REPAIR: N_("Repair"),
    TicketKind.COMPLAINT: N_("Complaint"),
    TicketKind.SUGGESTION: N_("Suggestion"),
    TicketKind.INQUIRY: N_("Question"),
}


def status_name(locale: str, status: TicketStatus) -> str:
    """For the resident."""
    return translate(locale, STATUS_NAMES[status])


def staff_status_name(locale: str, status: TicketStatus) -> str:
    return translate(locale, STAFF_STATUS_NAMES[status])


def star_bar(score: int) -> str:
    """A rating out of five as staff read it: ★★★★☆."""
    return "★" * score + "☆" * (5 - score)


def kind_name(locale: str, kind: TicketKind) -> str:
    return translate(locale, KIND_NAMES[kind])


def category_name(org: Organisation, locale: str, key: str | None) -> str:
    if key is None:
        return "—"
    try:
        return org.category(key).name.get(locale)
    except KeyError:
        return key


def project_label(org: Organisation, locale: str, key: str | None, stored: str) -> str:
    """A project's name as ``locale`` reads it (``name_en`` for English); ``stored`` when
    the organisation file no longer has it."""
    try:
        return display_name(org.project(key or ""), locale)
    except KeyError:
        return stored


def unit_label(org: Organisation, locale: str, key: str, stored: str) -> str:
    """An organisation unit's (headquarters, region, project) name as ``locale`` reads it;
    ``stored`` when the organisation file no longer has it."""
    try:
        return display_name(org.unit(key), locale)
    except KeyError:
        return stored


def building_label(
    org: Organisation, locale: str, project_key: str, building_key: str, stored: str
) -> str:
    """A building's name as ``locale`` reads it; ``stored`` when the file no longer has it."""
    try:
        return display_name(org.project(project_key).building(building_key), locale)
    except KeyError:
        return stored


# Zones by the name people use for their time ("北京时间"), never the raw IANA id.
ZONE_NAMES = {
    "Asia/Shanghai": N_("Beijing time"),
    "Asia/Chongqing": N_("Beijing time"),
    "Asia/Harbin": N_("Beijing time"),
    "Asia/Urumqi": N_("Xinjiang time"),
    "Asia/Hong_Kong": N_("Hong Kong time"),
    "Asia/Macau": N_("Macau time"),
    "Asia/Taipei": N_("Taipei time"),
    "Asia/Singapore": N_("Singapore time"),
    "Asia/Kuala_Lumpur": N_("Kuala Lumpur time"),
    "Asia/Tokyo": N_("Tokyo time"),
    "Asia/Seoul": N_("Seoul time"),
    "Asia/Bangkok": N_("Bangkok time"),
    "Asia/Dubai": N_("Dubai time"),
    "Europe/London": N_("London time"),
    "Europe/Berlin": N_("Berlin time"),
    "Europe/Paris": N_("Paris time"),
    "America/New_York": N_("New York time"),
    "America/Los_Angeles": N_("Los Angeles time"),
    "Australia/Sydney": N_("Sydney time"),
    "UTC": N_("UTC"),
    "Etc/UTC": N_("UTC"),
}


def zone_name(zone: ZoneInfo, locale: str) -> str:
    """The time zone as people name it: "北京时间", "Singapore time", else "<city> time"."""
    known = ZONE_NAMES.get(zone.key)
    if known is not None:
        return translate(locale, known)
    city = zone.key.rsplit("/", 1)[-1].replace("_", " ")
    return translate(locale, N_("{city} time"), city=city)


def labelled(locale: str, label: str, value: str) -> str:
    """``label: value`` punctuated as the locale writes it (Chinese: ``label：value``)."""
    return translate(locale, N_("{label}: {value}"), label=label, value=value)


def with_aside(locale: str, text: str, aside: str) -> str:
    """``text (aside)`` punctuated as the locale writes it (Chinese: ``text（aside）``)."""
    return translate(locale, N_("{text} ({aside})"), text=text, aside=aside)


# A time overdue or left, to the minute: "1d 2h 5min", "1 天 2 小时 5 分钟".
DAYS, HOURS, MINUTES = N_("{n}d"), N_("{n}h"), N_("{n}min")


def span(locale: str, amount: timedelta) -> str:
    """``1d 2h 5min`` in the reader's language, to the minute (rounded down)."""
    minutes = max(int(amount.total_seconds() // 60), 0)
    days, minutes = divmod(minutes, 24 * 60)
    hours, minutes = divmod(minutes, 60)
    parts = []
    if days:
        parts.append(translate(locale, DAYS, n=days))
    if hours:
        parts.append(translate(locale, HOURS, n=hours))
    if minutes or not parts:
        parts.append(translate(locale, MINUTES, n=minutes))
    return " ".join(parts)


def local_time(moment: datetime | None, zone: ZoneInfo) -> str:
    """A time in the reader's timezone, to the minute."""
    if moment is None:
        return "—"
    return moment.astimezone(zone).strftime("%Y-%m-%d %H:%M")


def initials(name: str | None) -> str:
    """Groups name residents by initials only: personal data stays out of groups."""
    if not name:
        return "—"
    parts = name.split()
    if len(parts) > 1:
        return "".join(p[0].upper() + "." for p in parts)
    return name[0] + "*" * min(len(name) - 1, 2)
