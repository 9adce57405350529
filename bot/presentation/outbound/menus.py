"""Each staff member's own command menu, in their language (Telegram's chat scope).

Residents see the menu set for all private chats and staff groups the one set for
all group chats (both at start-up, see ``bot/app/application.py``). A staff member,
manager or admin gets a menu of their own in their private chat, queued through the
outbox like any message: when their roles or language change
(:class:`~bot.services.roles.StaffProfileChanged`), and at start-up for everyone
(skipped when that exact menu was queued before).
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.i18n import normalise_locale, translate
from bot.presentation import outbox
from bot.presentation.announce import renders
from bot.presentation.commands import Audience, audience_of, private_commands
from bot.services.context import Context
from bot.services.people import resolve_actor
from bot.services.roles import StaffProfileChanged
from storage.models import Person, StaffMembership


def _menu(audience: Audience, locale: str) -> list[dict[str, str]]:
    return [
        {"command": c.name, "description": translate(locale, c.description)}
        for c in private_commands(audience)
    ]


async def queue_menu(
    session: AsyncSession, ctx: Context, telegram_id: int, *, once: bool = False
) -> None:
    """Queue the person's own menu (or its removal, back to the residents' one).

    ``once``: skip it if this very menu was queued for them before (start-up).
    """
    actor = await resolve_actor(session, telegram_id)
    locale = normalise_locale(actor.chosen_language) or ctx.group_locale
    audience = audience_of(actor.is_staff, actor.is_manager, actor.is_admin)
    scope = {"type": "chat", "chat_id": telegram_id}
    payload: dict[str, Any]
    if audience is Audience.RESIDENT:
        method, payload = "deleteMyCommands", {"scope": scope}
    else:
        method, payload = "setMyCommands", {"scope": scope, "commands": _menu(audience, locale)}
    dedup = None
    if once:
        digest = hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()[:16]
        dedup = f"menu:{telegram_id}:{digest}"
    await outbox.enqueue(
        session, chat_id=telegram_id, method=method, payload=payload, now=ctx.now, dedup_key=dedup
    )


async def queue_staff_menus(session: AsyncSession, ctx: Context) -> None:
    """At start-up: the menu of everyone who holds or held a role, unless queued before as it is
    (so a role the organisation file gave or took away since the last start shows)."""
    people = await session.scalars(
        select(Person.telegram_id)
        .join(StaffMembership, StaffMembership.person_id == Person.id)
        .where(Person.telegram_id.is_not(None))
        .distinct()
    )
    for telegram_id in list(people):
        if telegram_id is not None:
            await queue_menu(session, ctx, telegram_id, once=True)


@renders(StaffProfileChanged)
async def menu_changed(session: AsyncSession, ctx: Context, notice: StaffProfileChanged) -> None:
    await queue_menu(session, ctx, notice.telegram_id)
