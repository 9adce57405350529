"""/outbox as administrators read it: counts per state and the newest undelivered messages."""

from __future__ import annotations

import html

from aiogram.utils.i18n import gettext as _

from bot.services.outbox_admin import OutboxReport
from storage.models import OutboxStatus


def outbox_report(report: OutboxReport) -> str:
    lines = [
        _("<b>Outbox</b>: {pending} waiting, {sent} sent, {dead} undeliverable, {inactive} to "
          "blocked chats.").format(
            pending=report.counts.get(OutboxStatus.PENDING, 0),
            sent=report.counts.get(OutboxStatus.SENT, 0),
            dead=report.counts.get(OutboxStatus.DEAD, 0),
            inactive=report.counts.get(OutboxStatus.INACTIVE, 0),
        )
    ]  # fmt: skip
    if not report.messages:
        lines.append(_("Nothing undelivered."))
    for failed in report.messages:
        lines.append(
            f"#{failed.id} · {failed.chat_id} · {failed.attempts}× · "
            f"<i>{html.escape(failed.last_error or '?')}</i>\n{html.escape(failed.excerpt)}"
        )
    if report.messages and report.status is OutboxStatus.DEAD:
        lines.append(_("Send /outbox retry ID … to queue messages again."))
    return "\n\n".join(lines)


def requeued(count: int) -> str:
    return _("Queued again: {count}.").format(count=count)
