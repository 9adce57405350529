"""Routers pass over, at once, the updates nothing below them handles.

aiogram offers an update to the routers in order until one handles it. Each visit wraps
the router's outer middlewares, checks its own filters, offers the update to each of its
handlers, then recurses into its sub-routers, copying the handler data at every step:
about 20 µs a router on this machine with our ~25 data entries. Our routers are made one
per feature and audience, and many have no handler at all for some kinds of update: a
button press (``callback_query``) went through 22 of the 53 routers with no button
handler anywhere below them, a message through 6.

Applied once, after every router is included (``bot/app/dispatcher.py``): a router whose
subtree has no handler for a message or a button press (the updates that come in
numbers) answers "unhandled" for the kinds it cannot handle without looking further.
Nothing else changes: what it passes over could only have come back unhandled. A router
with an outer middleware of its own for a kind of update is never passed over for it
(the middleware may want to see every update).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from aiogram import Router
from aiogram.dispatcher.event.bases import UNHANDLED
from aiogram.types import TelegramObject

# The kinds of update that come in numbers; passing over the rare ones would cost the
# frequent ones an extra call on every router.
FREQUENT = frozenset({"message", "callback_query"})


def prune_routers(root: Router) -> int:
    """Have each router below ``root`` pass over what its subtree cannot handle; how many
    routers were changed."""
    changed = 0
    for router in _below(root):
        seen = _seen_below(router)
        passed_over = frozenset(kind for kind in router.observers if kind not in seen)
        if passed_over & FREQUENT:
            _pass_over(router, passed_over)
            changed += 1
    return changed


def _below(root: Router) -> Iterator[Router]:
    for sub_router in root.sub_routers:
        yield sub_router
        yield from _below(sub_router)


def _seen_below(router: Router) -> set[str]:
    """The kinds of update a handler or an outer middleware in ``router``'s subtree sees."""
    seen = {
        kind
        for kind, observer in router.observers.items()
        if observer.handlers or len(observer.outer_middleware)
    }
    for sub_router in router.sub_routers:
        seen |= _seen_below(sub_router)
    return seen


def _pass_over(router: Router, kinds: frozenset[str]) -> None:
    propagate = router.propagate_event

    async def propagate_event(update_type: str, event: TelegramObject, **kwargs: Any) -> Any:
        if update_type in kinds:
            return UNHANDLED
        return await propagate(update_type=update_type, event=event, **kwargs)

    router.propagate_event = propagate_event  # type: ignore[method-assign]
