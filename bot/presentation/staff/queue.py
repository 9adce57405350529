"""/queue and /mine: open tickets, soonest deadline first, a button per ticket, paging."""

from __future__ import annotations

import html
from datetime import datetime

from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup
from aiogram.utils.i18n import gettext as _

from bot.config.orgfile import Organisation
from bot.presentation.buttons.tickets import CardAction, QueuePage, QueueScope, StaffTicketAction
from bot.presentation.texts import (
    category_name,
    kind_name,
    local_time,
    project_label,
    span,
    staff_status_name,
    with_aside,
)
from bot.services.access import Where
from bot.services.tickets.queries import QueuePage as Page
from storage.models import TicketStatus


def render_queue(page: Page, org: Organisation, locale: str, now: datetime, *, mine: bool) -> str:
    """The page of tickets, each with its deadline (or how late it is, marked ⚠️)."""
    if not page.items:
        return _("No open tickets assigned to you.") if mine else _("No open tickets. 🎉")
    title = _("Your open tickets") if mine else _("Open tickets, soonest deadline first")
    lines = [with_aside(locale, f"<b>{title}</b>", str(page.total))]
    for item in page.items:
        zone = org.zone(item.project_key)
        parts = [f"<b>{item.number}</b>"]
        if page.projects > 1:  # a region's, HQ's or a multi-project person's queue: where
            parts.append(
                html.escape(project_label(org, locale, item.project_key, item.project_key))
            )
        parts += [
            staff_status_name(locale, item.status),
            kind_name(locale, item.kind),
            html.escape(category_name(org, locale, item.category_key)),
        ]
        if item.urgent:
            parts.append("⚡")
        # Waiting on the resident, the resolution clock is stopped: late only once it runs.
        waiting = item.status is TicketStatus.WAITING_ON_RESIDENT
        if item.due_at is not None and item.due_at < now and not waiting:
            due = "⚠️ " + _("overdue by {late} (was due {time})").format(
                late=span(locale, now - item.due_at), time=local_time(item.due_at, zone)
            )
        else:
            due = _("due {time}").format(time=local_time(item.due_at, zone))
        if not mine:  # "Your open tickets" are all yours
            due += " · " + (html.escape(item.assignee_name or "") or _("nobody yet"))
        lines.append(" · ".join(parts) + f"\n    {due}")
    if page.pages > 1:
        lines.append(_("Page {page} of {pages}").format(page=page.page + 1, pages=page.pages))
    return "\n".join(lines)


def queue_keyboard(page: Page, place: Where, scope: QueueScope) -> InlineKeyboardMarkup | None:
    """A button per ticket (opens its card), three a row, then Previous / Next."""
    buttons = [
        InlineKeyboardButton(
            text=item.number,
            callback_data=StaffTicketAction(
                action=CardAction.OPEN, ticket_id=item.ticket_id, version=item.version
            ).pack(),
        )
        for item in page.items
    ]
    rows = [buttons[i : i + 3] for i in range(0, len(buttons), 3)]
    paging = []
    unit = place.group_unit_id or 0
    if page.page > 0:
        data = QueuePage(scope=scope, unit_id=unit, page=page.page - 1).pack()
        paging.append(InlineKeyboardButton(text=_("◀ Previous"), callback_data=data))
    if page.page + 1 < page.pages:
        data = QueuePage(scope=scope, unit_id=unit, page=page.page + 1).pack()
        paging.append(InlineKeyboardButton(text=_("Next ▶"), callback_data=data))
    if paging:
        rows.append(paging)
    return InlineKeyboardMarkup(inline_keyboard=rows) if rows else None
