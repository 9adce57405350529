"""Renders domain notices into outbox messages.

Each kind of :class:`~bot.services.context.Notice` has exactly one renderer,
registered with :func:`renders` by a module of ``bot/presentation/outbound/`` (the
composition root imports that package once, which registers them all);
:func:`announce` is the announcer it puts into every domain
:class:`~bot.services.context.Context`.
A renderer reads what it needs, renders in the reader's language and queues
Bot API calls with ``bot.presentation.outbox.enqueue`` in the caller's transaction.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from sqlalchemy.ext.asyncio import AsyncSession

from bot.services.context import Context, Notice

N = TypeVar("N", bound=Notice)
Renderer = Callable[[AsyncSession, Context, Any], Awaitable[None]]
RendererOf = Callable[[AsyncSession, Context, N], Awaitable[None]]
_RENDERERS: dict[type[Notice], Renderer] = {}


def renders(
    kind: type[N],
) -> Callable[[Callable[[AsyncSession, Context, N], Awaitable[None]]], Any]:
    """Register the renderer of one kind of notice (one renderer per kind)."""

    def register(func: RendererOf[N]) -> RendererOf[N]:
        if kind in _RENDERERS:
            raise RuntimeError(f"{kind.__name__} already has a renderer")
        _RENDERERS[kind] = func
        return func

    return register


async def announce(session: AsyncSession, ctx: Context, notice: Notice) -> None:
    """The announcer: render ``notice`` and queue what it says."""
    try:
        renderer = _RENDERERS[type(notice)]
    except KeyError:
        raise LookupError(f"no renderer for {type(notice).__name__}") from None
    await renderer(session, ctx, notice)
