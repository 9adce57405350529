"""What a handler works with: the :class:`Desk`, handed by a router filter, so that a
handler reads ``(event, callback_data, desk)`` (the staff cards, lists and prompts). Where
the services need someone to hold to account (statistics, invitations, surveys), the
handler takes a :class:`KnownDesk` instead (the survey
:class:`~handlers.surveys.answering.Respondent` is one)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Self

from aiogram import Bot
from aiogram.fsm.context import FSMContext
from aiogram.types import Chat, TelegramObject
from aiogram.utils.i18n import I18n
from sqlalchemy.ext.asyncio import AsyncSession

from bot.services import access
from bot.services.access import Where
from bot.services.context import Context
from bot.services.people import Actor


@dataclass(frozen=True)
class Desk:
    """The services take ``session, ctx, actor`` (``actor`` may be None: the lifecycle
    and the queries refuse it, so the refusal is answered and audited like any other);
    answers go out through ``bot`` in the chat's ``locale`` (a staff group's language in
    a group, whoever pressed; the person's own in a private chat); what is sent to the
    person privately from a group (Details) is in their ``own_locale``; a prompt waits
    in ``state``."""

    session: AsyncSession
    ctx: Context
    actor: Actor | None
    state: FSMContext
    bot: Bot
    locale: str
    person_locale: str = ""

    @property
    def own_locale(self) -> str:
        """The person's own language, for what goes to their private chat."""
        return self.person_locale or self.locale

    async def place(self, chat: Chat) -> Where:
        """Where the chat stands in the organisation (never a button's word for it)."""
        return await access.where(self.session, chat.id, chat.type)

    def reading_locale(self, chat: Chat) -> str:
        """The language of the chat: a group's own (set per update by the i18n
        middleware), a private chat the person's."""
        return self.own_locale if chat.type == "private" else self.locale


async def at_desk(
    _event: TelegramObject,
    bot: Bot,
    session: AsyncSession,
    ctx: Context,
    state: FSMContext,
    i18n: I18n,
    actor: Actor | None = None,
    person_locale: str = "",
) -> dict[str, Desk]:
    """A router filter that always matches: it hands each handler its ``desk`` (aiogram
    merges a filter's dict into the handler's arguments). It never refuses: a refusal
    raised here would pass the refusal middleware by."""
    desk = Desk(session, ctx, actor, state, bot, i18n.current_locale, person_locale)
    return {"desk": desk}


@dataclass(frozen=True)
class KnownDesk(Desk):
    """A desk whose actor is known: for the services that take an ``Actor`` that is never
    None (they refuse a person without the role themselves)."""

    actor: Actor

    @classmethod
    def of(cls, desk: Desk) -> Self | None:
        """The desk with its actor known; nobody sent the update, None."""
        if desk.actor is None:
            return None
        return cls(
            desk.session,
            desk.ctx,
            desk.actor,
            desk.state,
            desk.bot,
            desk.locale,
            desk.person_locale,
        )


async def known_actor(_event: TelegramObject, desk: Desk) -> dict[str, KnownDesk] | bool:
    """A router filter, after :func:`at_desk`: it hands the handler a :class:`KnownDesk`
    as its ``desk``; nobody to act as, no match."""
    known = KnownDesk.of(desk)
    return False if known is None else {"desk": known}
