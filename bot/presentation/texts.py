"""Names of statuses, kinds and categories in the reader's language; times; initials."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from bot.config.orgfile import Organisation
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


def kind_name(locale: str, kind: TicketKind) -> str:
    return translate(locale, KIND_NAMES[kind])


def category_name(org: Organisation, locale: str, key: str | None) -> str:
    if key is None:
        return "—"
    try:
        return org.category(key).name.get(locale)
    except KeyError:
        return key


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
