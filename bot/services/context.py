"""What every domain operation needs besides the session: the organisation, "now", and a
way to tell people what happened.

Services never render messages. When a change should reach someone (a card in a
staff group, a note to a resident, an escalation), the service describes it as a
:class:`Notice` — plain data about what happened — and hands it to
``ctx.announce``. The presentation layer (``bot/presentation``) renders each kind
of notice in the reader's language and queues it in the outbox, inside the same
transaction as the change. The composition root decides which announcer is used.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from sqlalchemy.ext.asyncio import AsyncSession

from bot.config.orgfile import Organisation
from bot.i18n import normalise_locale
from bot.services.bound_groups import unit_of_group


class Notice:
    """Base of every domain notice: a frozen dataclass describing what happened."""


class Announcer(Protocol):
    async def __call__(self, session: AsyncSession, ctx: Context, notice: Notice) -> None: ...


@dataclass(frozen=True)
class Context:
    org: Organisation
    now: datetime
    announcer: Announcer

    @property
    def group_locale(self) -> str:
        """The organisation's default language (a group's or a person's when they have
        none of their own)."""
        return normalise_locale(self.org.default_language) or "zh_CN"

    def group_locale_of(self, unit_key: str | None) -> str:
        """The language of this unit's staff group (organisation file: ``language`` on the
        hq, a region or a project), whoever pressed what there."""
        return self.org.group_language(unit_key)

    async def locale_of_group(self, session: AsyncSession, chat_id: int) -> str:
        """The language of the staff group with this chat id (an unbound group: the
        organisation's)."""
        unit = await unit_of_group(session, chat_id)
        return self.group_locale_of(unit.unit_key if unit else None)

    async def announce(self, session: AsyncSession, *notices: Notice) -> None:
        """Render and queue each notice in this transaction (order kept)."""
        for notice in notices:
            await self.announcer(session, self, notice)

    def at(self, now: datetime) -> Context:
        """The same context at another moment."""
        return type(self)(self.org, now, self.announcer)
