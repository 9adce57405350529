"""Routing alone: the CPU an update spends finding its handler in the bot's router tree.

The bot's real routers (``handlers.build_root_router``), with every handler's body
replaced by a stub that returns at once, are offered a mix of updates as the load
benchmark plays them (button presses of residents and staff, text in and out of a
conversation), first as aiogram routes them, then with the routers pruned
(``bot/app/runtime/router_pruning.py``). Prints CPU µs per update for each, and how
many routers and handler filter checks an update visits.

    .venv/bin/python -m bench.routing_bench [--rounds 2000]
"""

from __future__ import annotations

import argparse
import asyncio
import time
from collections.abc import Callable
from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any

from aiogram import Router
from aiogram.dispatcher.event.handler import HandlerObject
from aiogram.fsm.context import FSMContext
from aiogram.fsm.storage.base import StorageKey
from aiogram.fsm.storage.memory import MemoryStorage
from aiogram.types import CallbackQuery, Chat, Message, TelegramObject, User

from bot.app.runtime.inline_filters import run_filters_inline
from bot.app.runtime.router_pruning import prune_routers
from bot.presentation.buttons.residents import FilingAction, FilingChoice
from bot.presentation.buttons.surveys import SurveyAction, SurveyButton
from bot.presentation.buttons.tickets import (
    ResidentAction,
    ResidentTicketAction,
    StaffTicketAction,
)
from bot.services.people import Actor
from handlers import build_root_router

RESIDENT = User(id=101, is_bot=False, first_name="Li")
AGENT = User(id=201, is_bot=False, first_name="Wang")
PRIVATE = Chat(id=101, type="private")
GROUP = Chat(id=-1001, type="supergroup", title="Project office")


def _text(text: str, chat: Chat = PRIVATE, user: User = RESIDENT) -> Message:
    return Message.model_construct(
        message_id=1,
        date=datetime.now(UTC),
        chat=chat,
        from_user=user,
        text=text,
        message_thread_id=None,
    )


def _press(data: str, chat: Chat = PRIVATE, user: User = RESIDENT) -> CallbackQuery:
    shown = _text("…", chat, user)
    return CallbackQuery.model_construct(
        id="1", from_user=user, chat_instance="c", data=data, message=shown
    )


def the_mix() -> list[tuple[str, str, TelegramObject, str | None, User, Chat]]:
    """(name, kind, event, conversation state, user, chat): what the load benchmark plays."""
    filing = FilingChoice(flow=1, what=next(iter(FilingAction)), value="1").pack()
    take = StaffTicketAction(action="take", ticket_id=7, version=1).pack()
    details = ResidentTicketAction(action=ResidentAction.VIEW, ticket_id=7, version=1).pack()
    rating = SurveyButton(action=next(iter(SurveyAction)), target_id=3, value="5").pack()
    return [
        (
            "press: filing step",
            "callback_query",
            _press(filing),
            "Filing:category",
            RESIDENT,
            PRIVATE,
        ),
        ("press: ticket details", "callback_query", _press(details), None, RESIDENT, PRIVATE),
        ("press: survey rating", "callback_query", _press(rating), None, RESIDENT, PRIVATE),
        ("press: card Take", "callback_query", _press(take, GROUP, AGENT), None, AGENT, GROUP),
        (
            "text: description",
            "message",
            _text("厨房水管漏水"),
            "Filing:description",
            RESIDENT,
            PRIVATE,
        ),
        ("text: free text", "message", _text("电梯坏了"), None, RESIDENT, PRIVATE),
        ("text: /help", "message", _text("/help"), None, RESIDENT, PRIVATE),
    ]


def stub_handlers(root: Router) -> None:
    """Every handler returns its router's name at once: only the routing is left."""

    def stub(name: str) -> Callable[..., Any]:
        async def handled(*_args: Any, **_kwargs: Any) -> str:
            return name

        return handled

    def walk(router: Router) -> None:
        for observer in router.observers.values():
            for handler in observer.handlers:
                _stub(handler, stub(router.name))
        for sub_router in router.sub_routers:
            walk(sub_router)

    walk(root)


def _stub(handler: HandlerObject, callback: Callable[..., Any]) -> None:
    handler.callback = callback
    handler.awaitable = True
    handler.params = set()
    handler.varkw = False


def handler_data(state: str | None, user: User, chat: Chat, session: Any = None) -> dict[str, Any]:
    """What the dispatcher's middlewares hand the routers, as far as their filters look
    (a filter that reads the database, on a group's message, needs the ``session``)."""
    return {
        "raw_state": state,
        "event_from_user": user,
        "event_chat": chat,
        "actor": Actor(telegram_id=user.id, person_id=1, chosen_language="zh"),
        # An empty conversation (some filters read its data); what the desk filter
        # hands on (it only holds them) is not used by the stubs.
        "state": FSMContext(MemoryStorage(), StorageKey(0, chat.id, user.id)),
        "session": session,
        **dict.fromkeys(("bot", "ctx"), None),
        "i18n": SimpleNamespace(current_locale="zh"),
    }


async def measure(root: Router, rounds: int) -> dict[str, tuple[float, str]]:
    figures = {}
    for name, kind, event, state, user, chat in the_mix():
        data = handler_data(state, user, chat)
        handled_by = await root.propagate_event(kind, event, **data)
        started = time.process_time()
        for _ in range(rounds):
            await root.propagate_event(kind, event, **data)
        figures[name] = ((time.process_time() - started) / rounds * 1e6, str(handled_by))
    return figures


def build(pruned: bool) -> Router:
    root = build_root_router()
    stub_handlers(root)
    run_filters_inline(root)
    if pruned:
        prune_routers(root)
    return root


async def main(rounds: int) -> None:
    plain = await measure(build(pruned=False), rounds)
    pruned = await measure(build(pruned=True), rounds)
    print(f"{'update':26} {'aiogram µs':>11} {'pruned µs':>10}  handled by")
    for name, (before, handler) in plain.items():
        after, pruned_handler = pruned[name]
        assert handler == pruned_handler, (name, handler, pruned_handler)
        print(f"{name:26} {before:11.1f} {after:10.1f}  {handler}")
    mean = sum(v for v, _ in plain.values()) / len(plain)
    mean_pruned = sum(v for v, _ in pruned.values()) / len(pruned)
    print(f"{'mean':26} {mean:11.1f} {mean_pruned:10.1f}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=2000)
    asyncio.run(main(parser.parse_args().rounds))
