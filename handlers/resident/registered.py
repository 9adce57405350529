"""Gives resident handlers that ask for ``person`` the registered resident who sent the update.

Anyone not (or no longer, after a new privacy notice) registered is refused with
how to register, and the handler does not run.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware
from aiogram.dispatcher.event.handler import HandlerObject
from aiogram.types import TelegramObject, User

from bot.services import registration


class RegisteredResidentMiddleware(BaseMiddleware):
    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        target: HandlerObject | None = data.get("handler")
        user: User | None = data.get("event_from_user")
        if target is not None and "person" in target.params and user is not None:
            notice_version = data["ctx"].org.residents.privacy_notice_version
            data["person"] = await registration.resident(data["session"], user.id, notice_version)
        return await handler(event, data)
