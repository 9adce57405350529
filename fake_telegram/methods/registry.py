"""Registry of implemented Bot API methods (name lookup is case-insensitive).

Each method module registers its handlers with :func:`api_method`; the server
looks them up by lower-cased name, exactly like Telegram treats method names.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from fake_telegram.models import UploadedFile
from fake_telegram.state import BotState


@dataclass
class MethodContext:
    """What a handler gets: decoded params, uploaded parts and the shared state."""

    state: BotState
    params: dict[str, Any]
    uploads: dict[str, UploadedFile] = field(default_factory=dict)
    stopping: asyncio.Event = field(default_factory=asyncio.Event)
    #: Set by send handlers to the chat that was written to (for rate limits/stats).
    target_chat_id: int | None = None


Handler = Callable[[MethodContext], Any | Awaitable[Any]]


@dataclass(frozen=True)
class MethodSpec:
    """A registered method: canonical name, handler and whether it is a "send"."""

    name: str
    handler: Handler
    sends: bool = False
    is_async: bool = False


METHODS: dict[str, MethodSpec] = {}


def api_method(name: str, *, sends: bool = False) -> Callable[[Handler], Handler]:
    """Register ``handler`` as Bot API method ``name``."""

    def register(handler: Handler) -> Handler:
        METHODS[name.lower()] = MethodSpec(
            name=name,
            handler=handler,
            sends=sends,
            is_async=asyncio.iscoroutinefunction(handler),
        )
        return handler

    return register


def lookup(name: str) -> MethodSpec | None:
    """The spec for a method name in any casing, or ``None``."""
    return METHODS.get(name.lower())


def canonical_name(name: str) -> str:
    """``sendmessage`` -> ``sendMessage``; unknown names are returned unchanged."""
    spec = METHODS.get(name.lower())
    return spec.name if spec else name
