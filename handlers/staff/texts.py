"""How the staff desk's answers read: ticket details with history, and the queue."""

from __future__ import annotations

import html

from aiogram.utils.i18n import gettext as _

from bot.config.orgfile import Organisation
from bot.services.notifications.texts import category_name, kind_name, local_time, status_name
from bot.services.staff_desk import HistoryLine, QueuePage, TicketDetails
from storage.models import TicketStatus

MAX_TEXT = 3900  # Telegram allows 4096 characters; leave room for markup
MAX_BODY = 300


def _clip(text: str, limit: int = MAX_BODY) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _status(locale: str, value: str | None) -> str:
    if value is None:
        return "—"
    try:
        return status_name(locale, TicketStatus(value))
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


def render_details(info: TicketDetails, org: Organisation, locale: str) -> str:
    zone = org.zone(info.project_key or None)
    head = [info.card_text, ""]
    head.append(_("Project: {project}").format(project=html.escape(info.project_name)))
    if info.personal:
        head.append(
            _("Resident: {name} · Phone: {phone}").format(
                name=html.escape(info.resident_name), phone=html.escape(info.resident_phone or "—")
            )
        )
    if info.followers:
        head.append(_("Residents who joined: {count}").format(count=info.followers))
    history = []
    for line in info.lines:
        who = html.escape(line.actor_name) if line.actor_name else _("system")
        text = f"{local_time(line.at, zone)} · {who} · {_what(line, locale)}"
        if line.body:
            text += f": {html.escape(_clip(line.body))}"
        history.append(text)
    omitted = info.omitted
    while history and len("\n".join(head + history)) > MAX_TEXT:
        history.pop(0)
        omitted += 1
    title = [_("History (notes included, staff only):")]
    if omitted:
        title.append(_("… {count} earlier entries not shown").format(count=omitted))
    return "\n".join([*head, "", *title, *history])


def render_queue(page: QueuePage, org: Organisation, locale: str, *, mine: bool) -> str:
    if not page.items:
        return _("No open tickets assigned to you.") if mine else _("No open tickets. 🎉")
    title = _("Your open tickets") if mine else _("Open tickets, soonest deadline first")
    lines = [f"<b>{title}</b> ({page.total})"]
    for item in page.items:
        zone = org.zone(item.project_key)
        parts = [
            f"<b>{item.number}</b>",
            status_name(locale, item.status),
            kind_name(locale, item.kind),
            html.escape(category_name(org, locale, item.category_key)),
        ]
        if item.urgent:
            parts.append("⚡")
        due = _("due {time}").format(time=local_time(item.due_at, zone))
        who = html.escape(item.assignee_name) if item.assignee_name else _("nobody yet")
        lines.append(" · ".join(parts) + f"\n    {due} · {who}")
    if page.pages > 1:
        lines.append(_("Page {page} of {pages}").format(page=page.page + 1, pages=page.pages))
    return "\n".join(lines)
