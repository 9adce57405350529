"""Skips a private chat's flood politely, without holding up anyone else."""

from __future__ import annotations

import logging
from typing import Any

from aiogram import BaseMiddleware, Bot
from aiogram.types import Chat, TelegramObject, Update, User

from bot.i18n import N_, pick_locale, translate
from bot.services.flood import FloodGuard, Verdict
from handlers.middlewares import NextHandler

log = logging.getLogger(__name__)

SLOW_DOWN = N_(
    "You are sending messages faster than I can read them, so I skipped some. "
    "Please wait a moment and send your last message again."
)


class ThrottlingMiddleware(BaseMiddleware):
    def __init__(self) -> None:
        self._guard = FloodGuard()

    async def __call__(
        self, handler: NextHandler, event: TelegramObject, data: dict[str, Any]
    ) -> Any:
        chat: Chat | None = data.get("event_chat")
        user: User | None = data.get("event_from_user")
        organisation = data.get("organisation")
        if (
            not isinstance(event, Update)
            or chat is None
            or chat.type != "private"
            or organisation is None
        ):
            return await handler(event, data)
        verdict = await self._guard.judge(
            data["session"],
            chat.id,
            event.update_id,
            data["clock"].now(),
            organisation.residents,
            # The chat's updates the worker claimed behind this one, when it says.
            data.get("inbox_backlog"),
        )
        if verdict is Verdict.HANDLE:
            return await handler(event, data)
        log.info("Skipped update %s of flooding chat %s", event.update_id, chat.id)
        if verdict is Verdict.SKIP_AND_TELL:
            actor = data.get("actor")
            locale = pick_locale(
                actor.chosen_language if actor else None,
                user.language_code if user else None,
                organisation.default_language,
            )
            bot: Bot = data["bot"]
            await bot.send_message(chat.id, translate(locale, SLOW_DOWN))
        if event.callback_query is not None:
            await event.callback_query.answer()
        return None
