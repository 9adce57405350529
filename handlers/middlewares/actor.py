"""Gives every handler its ``actor`` (who sent the update) and ``ctx`` (the domain context)."""

from __future__ import annotations

from typing import Any

from aiogram import BaseMiddleware
from aiogram.types import TelegramObject, User

from bot.services.people import resolve_actor, touch_last_seen
from handlers.middlewares import NextHandler


class ActorMiddleware(BaseMiddleware):
    async def __call__(
        self, handler: NextHandler, event: TelegramObject, data: dict[str, Any]
    ) -> Any:
        data["ctx"] = data["deps"].context()
        user: User | None = data.get("event_from_user")
        if user is not None and not user.is_bot:
            actor = await resolve_actor(data["session"], user.id)
            if actor.person_id is not None:
                await touch_last_seen(data["session"], actor.person_id, data["clock"].now())
            data["actor"] = actor
        return await handler(event, data)
