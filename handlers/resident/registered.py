"""Gives resident handlers the registered resident who sent the update.

A handler asks for ``person`` (the :class:`~storage.models.Person`) or ``turn`` (a
:class:`Turn`: the resident as a person and as an actor, with the conversation state,
the session and the domain context: what every step of a conversation needs). Anyone
not (or no longer, after a new privacy notice) registered is refused with how to
register, and the handler does not run.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from aiogram import BaseMiddleware
from aiogram.dispatcher.event.handler import HandlerObject
from aiogram.fsm.context import FSMContext
from aiogram.types import TelegramObject, User
from aiogram.utils.i18n import get_i18n
from sqlalchemy.ext.asyncio import AsyncSession

from bot.services import registration
from bot.services.context import Context
from bot.services.people import Actor
from handlers.middlewares import NextHandler
from storage.models import Person


@dataclass(frozen=True)
class Turn:
    """One update of a registered resident's conversation."""

    person: Person
    actor: Actor
    state: FSMContext
    session: AsyncSession
    ctx: Context

    @property
    def locale(self) -> str:
        """The language the resident reads (chosen for this update by the i18n middleware)."""
        return get_i18n().current_locale


class RegisteredResidentMiddleware(BaseMiddleware):
    async def __call__(
        self, handler: NextHandler, event: TelegramObject, data: dict[str, Any]
    ) -> Any:
        target: HandlerObject | None = data.get("handler")
        user: User | None = data.get("event_from_user")
        wanted = target.params & {"person", "turn"} if target is not None else set()
        if wanted and user is not None:
            ctx: Context = data["ctx"]
            notice_version = ctx.org.residents.privacy_notice_version
            person = await registration.resident(data["session"], user.id, notice_version)
            data["person"] = person
            data["turn"] = Turn(person, data["actor"], data["state"], data["session"], ctx)
        return await handler(event, data)
