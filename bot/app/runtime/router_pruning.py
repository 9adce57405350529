"""Routers pass over, at once, the updates nothing below them can handle.

aiogram offers an update to the routers in order until one handles it. Each visit wraps
the router's outer middlewares, checks its own filters, offers the update to each of its
handlers (checking their filters in turn), then recurses into its sub-routers, copying
the handler data at every step: about 20 µs a router and a few µs a handler on this
machine. Our routers are made one per feature and audience, so most of them cannot
handle a given update, and say so only after all of that.

Applied once, after every router is included (``bot/app/dispatcher.py``), each router
learns what its subtree's handlers can accept, from their own filters, and answers
"unhandled" at once for the rest, for the updates that come in numbers:

- the kinds of update with no handler below it at all;
- a button press whose data has none of the prefixes of the ``CallbackData`` filters
  below it (when every button handler below has one);
- a message none of the message handlers below it accepts by its ``StateFilter`` (the
  conversation states it answers in) and its ``Command`` filter (a text starting with a
  command prefix): plain text in no conversation passes over every router of commands
  and every conversation's router.

Nothing else changes: what a router passes over could only have come back unhandled,
since every handler below it would have refused it by that very filter. A router with an
outer middleware for a kind of update, or with one anywhere below it, is never passed
over for that kind (the middleware may want to see every update).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from inspect import isclass
from typing import Any

from aiogram import Router
from aiogram.dispatcher.event.bases import UNHANDLED
from aiogram.dispatcher.event.handler import HandlerObject
from aiogram.filters.callback_data import CallbackQueryFilter
from aiogram.filters.command import Command
from aiogram.filters.state import StateFilter
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, Message, TelegramObject

# The kinds of update that come in numbers; passing over the rare ones would cost the
# frequent ones an extra call on every router.
FREQUENT = frozenset({"message", "callback_query"})

# "Any": a handler (or a subtree) whose filters do not narrow what it accepts.
ANY = None

Prefixes = frozenset[tuple[str, str]]  # (separator, prefix) of callback data
States = frozenset[str | None]  # raw conversation states; None is "no state"
Names = frozenset[str]  # command names, casefolded
# What message handlers accept: for each command prefix (the characters a command may
# start with; ANY for a handler without a Command filter), the command names (or ANY)
# and the states they answer in (or ANY).
Messages = tuple[tuple[str | None, Names | None, States | None], ...]


@dataclass(frozen=True)
class Reach:
    """What the handlers in a router's subtree can accept."""

    kinds: frozenset[str]  # kinds of update with a handler (or outer middleware) below
    prefixes: Prefixes | None  # button presses: the callback data prefixes, or ANY
    messages: Messages | None  # messages: what the handlers accept, or ANY

    def refuses(self, update_type: str, event: TelegramObject, data: dict[str, Any]) -> bool:
        if update_type not in self.kinds:
            return update_type in FREQUENT
        if update_type == "callback_query" and self.prefixes is not None:
            return not _has_prefix(event, self.prefixes)
        if update_type == "message" and self.messages is not None:
            raw_state = data.get("raw_state")  # what aiogram's StateFilter is called with
            return not any(
                _is_command(event, prefix, names) and (states is None or raw_state in states)
                for prefix, names, states in self.messages
            )
        return False

    @property
    def narrows(self) -> bool:
        return bool(FREQUENT - self.kinds) or self.prefixes is not None or self.messages is not None


def prune_routers(root: Router) -> int:
    """Have each router below ``root`` pass over what its subtree cannot handle; how many
    routers were changed."""
    changed = 0
    for router in _below(root):
        reach = reach_of(router)
        if reach.narrows:
            _guard(router, reach)
            changed += 1
    return changed


def reach_of(router: Router) -> Reach:
    """What the handlers of ``router`` and of the routers below it can accept."""
    kinds: set[str] = set()
    prefixes: set[tuple[str, str]] | None = set()
    # Command prefix → (command names, states), each a set or ANY.
    messages: dict[str | None, tuple[set[str] | None, set[str | None] | None]] | None = {}
    for each in (router, *_below(router)):
        for kind, observer in each.observers.items():
            if observer.handlers or len(observer.outer_middleware):
                kinds.add(kind)
        presses, texts = each.observers["callback_query"], each.observers["message"]
        if len(presses.outer_middleware):
            prefixes = ANY
        if len(texts.outer_middleware):
            messages = ANY
        for handler in presses.handlers:
            prefixes = _union(prefixes, _prefixes_of(handler))
        for handler in texts.handlers:
            if messages is None:
                break
            (prefix, names), states = _command_of(handler), _states_of(handler)
            if prefix is None and states is None:
                messages = ANY
            else:
                known_names, known_states = messages.get(prefix, (set(), set()))
                messages[prefix] = (_union(known_names, names), _union(known_states, states))
    return Reach(
        frozenset(kinds),
        None if prefixes is None else frozenset(prefixes),
        None
        if messages is None
        else tuple(
            (prefix, _frozen(names), _frozen(states))
            for prefix, (names, states) in messages.items()
        ),
    )


def _frozen(accepted: set[Any] | None) -> frozenset[Any] | None:
    return None if accepted is None else frozenset(accepted)


def _union(accepted: set[Any] | None, more: frozenset[Any] | None) -> set[Any] | None:
    if accepted is None or more is None:
        return ANY
    return accepted | more


def _prefixes_of(handler: HandlerObject) -> Prefixes | None:
    for filter_object in handler.filters or ():
        check = filter_object.callback
        if isinstance(check, CallbackQueryFilter):
            data = check.callback_data
            return frozenset({(data.__separator__, data.__prefix__)})
    return ANY


def _command_of(handler: HandlerObject) -> tuple[str | None, Names | None]:
    """The characters the handler's command may start with and its names (casefolded;
    ANY for a pattern); both ANY without a Command filter."""
    for filter_object in handler.filters or ():
        check = filter_object.callback
        if isinstance(check, Command):
            names = {name.casefold() for name in check.commands if isinstance(name, str)}
            if len(names) < len(check.commands):
                return check.prefix, ANY  # a regular expression
            return check.prefix, frozenset(names)
    return ANY, ANY


def _states_of(handler: HandlerObject) -> States | None:
    for filter_object in handler.filters or ():
        check = filter_object.callback
        if isinstance(check, StateFilter):
            return _accepted_states(check)
    return ANY


def _accepted_states(check: StateFilter) -> States | None:
    """The raw states ``check`` lets through, as aiogram's ``StateFilter.__call__`` does."""
    accepted: set[str | None] = set()
    for state in check.states:
        if state is None or isinstance(state, str):
            if state == "*":
                return ANY
            accepted.add(state)
        elif isinstance(state, State):
            if state.state == "*":
                return ANY
            accepted.add(state.state)
        elif isinstance(state, StatesGroup):
            accepted.update(type(state).__all_states_names__)
        elif isclass(state) and issubclass(state, StatesGroup):
            accepted.update(state.__all_states_names__)
        else:
            return ANY
    return frozenset(accepted)


def _is_command(event: TelegramObject, prefix: str | None, names: Names | None) -> bool:
    """Whether a message may be one of the commands ``names`` with ``prefix``, read as
    ``Command.extract_command`` reads it: the text's (or caption's) first word is a
    prefix character and the name, perhaps followed by ``@`` and the bot's name."""
    if prefix is None:
        return True
    text = (event.text or event.caption) if isinstance(event, Message) else None
    words = text.split(maxsplit=1) if text else ()
    if not words or words[0][0] not in prefix:
        return False
    return names is None or words[0][1:].partition("@")[0].casefold() in names


def _has_prefix(event: TelegramObject, prefixes: Prefixes) -> bool:
    """Whether a press's data starts as ``CallbackData.unpack`` wants one of ``prefixes``."""
    data = event.data if isinstance(event, CallbackQuery) else None
    if not data:
        return False  # CallbackQueryFilter refuses it too
    return any(data.split(separator, 1)[0] == prefix for separator, prefix in prefixes)


def _below(root: Router) -> Iterator[Router]:
    for sub_router in root.sub_routers:
        yield sub_router
        yield from _below(sub_router)


def _guard(router: Router, reach: Reach) -> None:
    propagate = router.propagate_event

    async def propagate_event(update_type: str, event: TelegramObject, **kwargs: Any) -> Any:
        if reach.refuses(update_type, event, kwargs):
            return UNHANDLED
        return await propagate(update_type=update_type, event=event, **kwargs)

    router.propagate_event = propagate_event  # type: ignore[method-assign]
