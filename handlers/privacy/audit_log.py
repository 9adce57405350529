"""/audit [days] [action-prefix] [refused]: the audit log, within the reader's own units,
in a private chat only (in a group: handlers/privacy/in_groups.py)."""

from __future__ import annotations

import html
from datetime import timedelta

from aiogram import Router
from aiogram.filters import Command, CommandObject
from aiogram.types import Message
from aiogram.utils.i18n import I18n, ngettext
from aiogram.utils.i18n import gettext as _
from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import Clock
from bot.config.orgfile import Organisation
from bot.presentation.texts import with_aside
from bot.services import audit
from bot.services.access import staff_project_ids
from bot.services.people import Actor
from handlers.audiences import private_chat
from storage.models import OrgLevel

DEFAULT_DAYS = 7


def _parse(args: str | None) -> tuple[int, str | None, bool] | None:
    days, prefix, refused = DEFAULT_DAYS, None, False
    for word in (args or "").split():
        if word.isdigit() and 0 < int(word) <= 3660:
            days = int(word)
        elif word.lower() == "refused":
            refused = True
        elif word.replace(".", "").replace("_", "").isalnum() and len(word) <= 64:
            prefix = word.lower()
        else:
            return None
    return days, prefix, refused


async def show_audit(
    message: Message,
    command: CommandObject,
    session: AsyncSession,
    actor: Actor,
    clock: Clock,
    organisation: Organisation,
    i18n: I18n,
) -> None:
    now = clock.now()
    if not actor.is_manager:
        await audit.refused(session, now, actor, "audit.read", "not a manager or admin")
        await message.answer(_("Only managers and administrators can read the audit log."))
        return
    parsed = _parse(command.args)
    if parsed is None:
        await message.answer(
            _("Usage: /audit [days] [action] [refused] — e.g. /audit 30 ticket refused")
        )
        return
    days, prefix, refused = parsed
    managed = [g for g in actor.roles if g.role.value in ("manager", "admin")]
    everything = any(g.level is OrgLevel.HQ for g in managed)
    scope = None if everything else await staff_project_ids_for(session, actor, managed)
    entries = await audit.entries_visible_to(
        session,
        scope,
        since=now - timedelta(days=days),
        action_prefix=prefix,
        only_refused=refused,
    )
    await audit.record(session, now, actor, "audit.read", data={"days": days, "prefix": prefix})
    if not entries:
        await message.answer(_("No audit entries match."))
        return
    zone = organisation.zone()
    lines = [
        ngettext(
            "Audit log, last {days} day, newest first:",
            "Audit log, last {days} days, newest first:",
            days,
        ).format(days=days)
    ]
    for line in entries:
        entry = line.entry
        mark = "⛔" if entry.outcome == audit.REFUSED else "✅"
        reason = f" — {html.escape(entry.reason)}" if entry.reason else ""
        action = html.escape(entry.action)
        if line.ticket_number:
            action += f" {line.ticket_number}"
        text = _("{mark} {at} {action} by {who}").format(
            mark=mark,
            at=f"{entry.at.astimezone(zone):%m-%d %H:%M}",
            action=action,
            who=_who(line, i18n.current_locale),
        )
        lines.append(text + reason)
    await message.answer("\n".join(lines))


def _who(line: audit.AuditLine, locale: str) -> str:
    """Staff by name and Telegram id; anyone else by the id alone ("—": the system)."""
    telegram_id = line.entry.actor_telegram_id
    if telegram_id is None:
        return "—"
    if line.staff_name:
        return with_aside(locale, html.escape(line.staff_name), str(telegram_id))
    return str(telegram_id)


async def staff_project_ids_for(session: AsyncSession, actor: Actor, managed) -> set[int]:
    return await staff_project_ids(
        session, Actor(actor.telegram_id, actor.person_id, actor.chosen_language, tuple(managed))
    )


def build_router() -> Router:
    router = private_chat("privacy.audit")
    router.message.register(show_audit, Command("audit"))
    return router
