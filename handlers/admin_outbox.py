"""/outbox for admins, in private chat: undelivered messages and why."""

from __future__ import annotations

import html

from aiogram import F, Router
from aiogram.filters import Command, CommandObject
from aiogram.types import Message
from aiogram.utils.i18n import gettext as _
from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import Clock
from bot.services import outbox_admin
from bot.services.people import Actor
from storage.models import OutboxStatus


async def show_outbox(
    message: Message, command: CommandObject, session: AsyncSession, actor: Actor, clock: Clock
) -> None:
    if not actor.is_admin:
        await message.answer(_("Only administrators can see the outbox."))
        return
    args = (command.args or "").split()
    if args[:1] == ["retry"]:
        ids = [int(a) for a in args[1:] if a.isdigit()]
        count = await outbox_admin.retry(session, ids, clock.now())
        await message.answer(_("Queued again: {count}.").format(count=count))
        return
    status = OutboxStatus.INACTIVE if args[:1] == ["inactive"] else OutboxStatus.DEAD
    report = await outbox_admin.report(session, status, limit=10)
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
    if report.messages and status is OutboxStatus.DEAD:
        lines.append(_("Send /outbox retry ID … to queue messages again."))
    await message.answer("\n\n".join(lines))


def build_router() -> Router:
    router = Router(name="admin.outbox")
    router.message.filter(F.chat.type == "private")
    router.message.register(show_outbox, Command("outbox"))
    return router
