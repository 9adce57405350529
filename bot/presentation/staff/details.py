"""A ticket's details for staff: the card, who the resident is (where allowed), and the
history with internal notes. Always sent to a private chat."""

from __future__ import annotations

import html

from aiogram.utils.i18n import gettext as _
from aiogram.utils.i18n import ngettext
from sqlalchemy.ext.asyncio import AsyncSession

from bot.config.orgfile import Organisation
from bot.presentation.staff.card import card_text
from bot.presentation.texts import initials, local_time, staff_status_name
from bot.services.tickets.queries import HistoryLine, TicketDetails
from storage.models import TicketStatus

MAX_TEXT = 3900  # Telegram allows 4096 characters; leave room for markup
MAX_BODY = 300


def _clip(text: str, limit: int = MAX_BODY) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _status(locale: str, value: str | None) -> str:
    if value is None:
        return "—"
    try:
        return staff_status_name(locale, TicketStatus(value))
    except ValueError:
        return value


def _what(line: HistoryLine, locale: str) -> str:
    labels = {
        "created": _("created the ticket"),
        "assigned": _("took it"),
        "reply": _("💬 answered the resident"),
        "comment": _("🗨 the resident wrote"),
        "note": _("🔒 internal note"),
        "reassigned": _("reassigned it"),
        "reopened": _("↩️ re-opened it"),
        "cancelled": _("cancelled it"),
        "follower_joined": _("joined: the same problem"),
        "warned": _("⏰ deadline warning"),
        "escalated": _("🔺 escalated"),
        "deadlines_changed": _("changed the deadlines"),
    }
    if line.kind == "status_changed":
        return _("status {before} → {after}").format(
            before=_status(locale, line.from_status), after=_status(locale, line.to_status)
        )
    return labels.get(line.kind, line.kind)


def _who(line: HistoryLine, personal: bool) -> str:
    """Residents by initials unless personal data may be shown here."""
    name = initials(line.actor_name) if line.by_resident and not personal else line.actor_name
    return html.escape(name) if name else _("system")


async def render_details(
    session: AsyncSession, org: Organisation, info: TicketDetails, locale: str
) -> str:
    zone = org.zone(info.project_key or None)
    head = [await card_text(session, org, info.ticket, locale), ""]
    head.append(_("Project: {project}").format(project=html.escape(info.project_name)))
    if info.personal:  # only then are the name and phone filled in
        head.append(
            _("Resident: {name} · Phone: {phone}").format(
                name=html.escape(info.resident_name or "—"),
                phone=html.escape(info.resident_phone or "—"),
            )
        )
    if info.followers:
        head.append(_("Residents who joined: {count}").format(count=info.followers))
    history = []
    for line in info.lines:
        text = f"{local_time(line.at, zone)} · {_who(line, info.personal)} · {_what(line, locale)}"
        if line.body:
            text += f": {html.escape(_clip(line.body))}"
        history.append(text)
    omitted = info.omitted
    while history and len("\n".join(head + history)) > MAX_TEXT:
        history.pop(0)
        omitted += 1
    title = [_("History (notes included, staff only):")]
    if omitted:
        title.append(
            ngettext(
                "… {count} earlier entry not shown", "… {count} earlier entries not shown", omitted
            ).format(count=omitted)
        )
    return "\n".join([*head, "", *title, *history])
