"""Picks the language of each answer: the person's choice, else Telegram's, else the default."""

from __future__ import annotations

from typing import Any

from aiogram.types import TelegramObject, User
from aiogram.utils.i18n import I18n, I18nMiddleware

from bot.i18n import DOMAIN, LOCALES_DIR, pick_locale
from bot.services.people import Actor


def build_i18n(default_locale: str) -> I18n:
    return I18n(path=LOCALES_DIR, default_locale=default_locale, domain=DOMAIN)


class ActorI18nMiddleware(I18nMiddleware):
    async def get_locale(self, event: TelegramObject, data: dict[str, Any]) -> str:
        actor: Actor | None = data.get("actor")
        user: User | None = data.get("event_from_user")
        return pick_locale(
            actor.chosen_language if actor else None,
            user.language_code if user else None,
            self.i18n.default_locale,
        )
