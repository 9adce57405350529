"""What answering a survey in the private chat takes: the :class:`Respondent` with what
every step needs, which messages are answers, the score a rating button carries, and
closing the question a button was pressed on."""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from functools import cache

from aiogram.exceptions import TelegramBadRequest
from aiogram.types import CallbackQuery, Message, TelegramObject

from bot.presentation.residents.keyboards import all_menu_labels
from bot.services.surveys.errors import SurveyError
from handlers.desk import Desk, KnownDesk
from handlers.surveys.states import INVITATION


@dataclass(frozen=True)
class Respondent(KnownDesk):
    """The resident answering: the next question goes out through ``bot`` in ``locale``
    and is remembered in ``state``."""

    async def open_invitation(self) -> int:
        """The survey invitation the conversation is on (0: none)."""
        return int((await self.state.get_data()).get(INVITATION, 0))


async def as_respondent(_event: TelegramObject, desk: Desk) -> dict[str, Respondent] | bool:
    """A router filter, after :func:`~handlers.desk.at_desk`: it hands each answering
    handler its ``respondent``; nobody to answer as, no match."""
    respondent = Respondent.of(desk)
    return False if respondent is None else {"respondent": respondent}


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


async def take_buttons_off(callback: CallbackQuery, text: str | None = None) -> None:
    """Take the buttons off the message pressed (and show the answer in it)."""
    message = callback.message
    if not isinstance(message, Message):
        return
    with contextlib.suppress(TelegramBadRequest):
        if text is None:
            await message.edit_reply_markup(reply_markup=None)
        else:
            await message.edit_text(text, reply_markup=None)
