"""Who is answering a survey in their private chat, with what every answering step needs."""

from __future__ import annotations

from dataclasses import dataclass

from aiogram import Bot
from aiogram.fsm.context import FSMContext
from aiogram.types import TelegramObject
from aiogram.utils.i18n import I18n
from sqlalchemy.ext.asyncio import AsyncSession

from bot.services.context import Context
from bot.services.people import Actor
from handlers.surveys.states import INVITATION


@dataclass(frozen=True)
class Respondent:
    """The resident answering: the services take ``session, ctx, actor``; the next
    question goes out through ``bot`` in ``locale`` and is remembered in ``state``."""

    session: AsyncSession
    ctx: Context
    actor: Actor
    state: FSMContext
    bot: Bot
    locale: str

    async def open_invitation(self) -> int:
        """The survey invitation the conversation is on (0: none)."""
        return int((await self.state.get_data()).get(INVITATION, 0))


async def as_respondent(
    _event: TelegramObject,
    bot: Bot,
    session: AsyncSession,
    ctx: Context,
    state: FSMContext,
    i18n: I18n,
    actor: Actor | None = None,
) -> dict[str, Respondent] | bool:
    """A router filter: it hands each answering handler its ``respondent`` (aiogram
    merges a filter's dict into the handler's arguments); nobody to answer as, no match."""
    if actor is None:
        return False
    return {"respondent": Respondent(session, ctx, actor, state, bot, i18n.current_locale)}
