"""Picks the language of each answer: in a staff group the group's language (whoever
wrote); elsewhere the person's choice, else Telegram's, else the default. The person's
own language is handed on as ``person_locale`` (for what goes to them privately)."""

from __future__ import annotations

from typing import Any

from aiogram.types import Chat, TelegramObject, User
from aiogram.utils.i18n import I18n, I18nMiddleware

from bot.i18n import DOMAIN, LOCALES_DIR, pick_locale
from bot.services.people import Actor


def build_i18n(default_locale: str) -> I18n:
    return I18n(path=LOCALES_DIR, default_locale=default_locale, domain=DOMAIN)


class ActorI18nMiddleware(I18nMiddleware):
    async def get_locale(self, event: TelegramObject, data: dict[str, Any]) -> str:
        actor: Actor | None = data.get("actor")
        user: User | None = data.get("event_from_user")
        own = pick_locale(
            actor.chosen_language if actor else None,
            user.language_code if user else None,
            self.i18n.default_locale,
        )
        data["person_locale"] = own
        chat: Chat | None = data.get("event_chat")
        if chat is not None and chat.type != "private" and "ctx" in data:
            return str(await data["ctx"].locale_of_group(data["session"], chat.id))
        return own
