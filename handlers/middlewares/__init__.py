"""The middlewares every update passes through, and the type they share."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, TypeAlias

from aiogram.types import TelegramObject

# What a middleware's ``__call__`` receives to pass the update on (the next
# middleware, or the handler itself).
NextHandler: TypeAlias = Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]]
