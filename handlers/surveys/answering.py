"""What answering a survey in the private chat takes: the :class:`Respondent` with what
every step needs, which messages are answers, and the score a rating button carries."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from aiogram import Bot
from aiogram.fsm.context import FSMContext
from aiogram.types import Message, TelegramObject
from aiogram.utils.i18n import I18n
from sqlalchemy.ext.asyncio import AsyncSession

from bot.presentation.residents.keyboards import all_menu_labels
from bot.services.context import Context
from bot.services.people import Actor
from bot.services.surveys.errors import SurveyError
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


@cache
def _menu_labels() -> frozenset[str]:
    return all_menu_labels()


def not_a_command(message: Message) -> bool:
    """Commands and the residents' menu buttons always reach their own handlers,
    whatever survey is open: they are not an answer."""
    text = message.text or ""
    return not text.startswith("/") and text not in _menu_labels()


def button_score(value: str) -> int:
    """The score a rating button carries (a forged one is refused)."""
    try:
        return int(value)
    except ValueError:
        raise SurveyError from None
