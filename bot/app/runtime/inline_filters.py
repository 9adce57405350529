"""Run the dispatcher's plain-function filters on the event loop, not in threads.

aiogram calls a filter that is not a coroutine function with ``asyncio.to_thread`` — every
magic filter (``F.chat.type == "private"``, ``F.data.startswith(...)``) and every plain
``def`` filter, on every check. A router's own filter is checked for each update that
reaches it, so a private message crossed a dozen thread hops before its handler ran
(submit, wake, context copy, call back into the loop): a large share of the bot's CPU per
update in ``bench/load.py``, and latency under load. Our filters are small pure
functions of the event (they never block), so they run inline.

Applied once, after every router is included (``bot/app/dispatcher.py``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from aiogram import Router
from aiogram.dispatcher.event.handler import FilterObject


def run_filters_inline(root: Router) -> int:
    """Make every synchronous filter under ``root`` awaitable in place; how many."""
    changed = 0
    for filter_object in _filters(root):
        if not filter_object.awaitable:
            filter_object.callback = _awaitable(filter_object.callback)
            filter_object.awaitable = True
            changed += 1
    return changed


def _awaitable(function: Callable[..., Any]) -> Callable[..., Any]:
    async def inline(*args: Any, **kwargs: Any) -> Any:
        return function(*args, **kwargs)

    return inline


def _filters(router: Router) -> Iterator[FilterObject]:
    for observer in router.observers.values():
        # The router-level filters (``router.message.filter(...)``) and each handler's.
        yield from observer._handler.filters or ()
        for handler in observer.handlers:
            yield from handler.filters or ()
    for sub_router in router.sub_routers:
        yield from _filters(sub_router)
