"""Routers pass over the updates nothing below them handles; routing is otherwise the same."""

from __future__ import annotations

from typing import Any

from aiogram import F, Router
from aiogram.dispatcher.event.bases import UNHANDLED
from aiogram.types import CallbackQuery, Chat, Message, User

from bot.app.runtime.inline_filters import run_filters_inline
from bot.app.runtime.router_pruning import prune_routers
from handlers import build_root_router

USER = User(id=1, is_bot=False, first_name="A")
PRESS = CallbackQuery.model_construct(id="1", from_user=USER, chat_instance="c", data="b")
TEXT = Message.model_construct(message_id=1, chat=Chat(id=1, type="private"), text="hi")


class Visits:
    """A router-level filter that lets everything through and counts the visits."""

    def __init__(self) -> None:
        self.count = 0

    def __call__(self, _event: Any) -> bool:
        self.count += 1
        return True


def tree() -> tuple[Router, Visits]:
    """root → texts (a message handler; texts.inner has another), buttons (a button one)."""
    root, texts, inner, buttons = (Router(name=n) for n in ("root", "texts", "inner", "buttons"))
    visits = Visits()
    texts.callback_query.filter(visits)  # checked whenever a press visits ``texts``
    texts.message.register(lambda message: "texts", F.text == "texts")
    inner.message.register(lambda message: "inner")
    buttons.callback_query.register(lambda callback: "buttons")
    texts.include_router(inner)
    root.include_routers(texts, buttons)
    run_filters_inline(root)
    return root, visits


async def test_a_press_passes_over_the_routers_with_no_button_handler_below() -> None:
    root, visits = tree()
    # texts and inner have no button handler below them, buttons no message handler.
    assert prune_routers(root) == 3
    assert await root.propagate_event("callback_query", PRESS) == "buttons"
    assert visits.count == 0
    assert await root.propagate_event("message", TEXT) == "inner"  # routed as before


async def test_without_pruning_the_press_visits_them() -> None:
    root, visits = tree()
    assert await root.propagate_event("callback_query", PRESS) == "buttons"
    assert visits.count == 1


async def test_a_router_with_an_outer_middleware_is_never_passed_over() -> None:
    root, visits = tree()
    texts = root.sub_routers[0]
    seen: list[str] = []

    async def middleware(handler: Any, event: Any, data: dict[str, Any]) -> Any:
        seen.append(type(event).__name__)
        return await handler(event, data)

    texts.callback_query.outer_middleware(middleware)
    assert prune_routers(root) == 2  # inner and buttons
    assert await root.propagate_event("callback_query", PRESS) == "buttons"
    assert seen == ["CallbackQuery"] and visits.count == 1


async def test_nothing_handled_stays_unhandled() -> None:
    root, _ = tree()
    prune_routers(root)
    lone = Router(name="lone")
    root.include_router(lone)
    assert await lone.propagate_event("message", TEXT) is UNHANDLED


def test_the_bots_routers_that_have_no_button_or_message_handler_below_are_pruned() -> None:
    assert prune_routers(build_root_router()) > 20
