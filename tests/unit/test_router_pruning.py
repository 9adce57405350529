"""Routers pass over the updates nothing below them handles; routing is otherwise the same."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any
from unittest.mock import AsyncMock

import pytest
from aiogram import F, Router
from aiogram.dispatcher.event.bases import UNHANDLED
from aiogram.filters import Command, CommandStart, StateFilter
from aiogram.filters.callback_data import CallbackData
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, Chat, Message, User

from bot.app.runtime.inline_filters import run_filters_inline
from bot.app.runtime.router_pruning import prune_routers, reach_of
from handlers import build_root_router

USER = User(id=1, is_bot=False, first_name="A")
PRIVATE = Chat(id=1, type="private")
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


def press(data: str | None, chat: Chat = PRIVATE) -> CallbackQuery:
    shown = Message.model_construct(message_id=1, chat=chat, text="…")
    return CallbackQuery.model_construct(
        id="1", from_user=USER, chat_instance="c", data=data, message=shown
    )


def text(words: str | None, chat: Chat = PRIVATE, **more: Any) -> Message:
    return Message.model_construct(message_id=1, chat=chat, from_user=USER, text=words, **more)


class Buttons(CallbackData, prefix="bt"):
    n: int


class Flow(StatesGroup):
    typing = State()
    choosing = State()


def conversation_tree() -> tuple[Router, Visits, Visits]:
    """root → flow (a button and a text handler, each in a state of Flow), commands
    (/help and /start), rest (anything)."""
    root, flow, commands, rest = (Router(name=n) for n in ("root", "flow", "commands", "rest"))
    flow_visits, command_visits = Visits(), Visits()
    flow.message.filter(flow_visits)
    flow.callback_query.filter(flow_visits)
    commands.message.filter(command_visits)
    flow.callback_query.register(lambda callback: "flow", Buttons.filter(), StateFilter(Flow))
    flow.message.register(lambda message: "flow", StateFilter(Flow.typing, None))
    commands.message.register(lambda message: "help", Command("help", ignore_case=True))
    commands.message.register(lambda message: "start", CommandStart())
    rest.message.register(lambda message: "rest")
    rest.callback_query.register(lambda callback: "rest")
    root.include_routers(flow, commands, rest)
    run_filters_inline(root)
    prune_routers(root)
    return root, flow_visits, command_visits


async def test_a_press_passes_over_routers_whose_buttons_have_other_prefixes() -> None:
    root, flow, _ = conversation_tree()
    assert await root.propagate_event("callback_query", press("zz:1")) == "rest"
    assert await root.propagate_event("callback_query", press(None)) == "rest"
    assert flow.count == 0
    pressed = press(Buttons(n=1).pack())
    assert (
        await root.propagate_event("callback_query", pressed, raw_state="Flow:choosing") == "flow"
    )
    assert flow.count == 1


async def test_a_message_passes_over_routers_of_other_states_and_other_commands() -> None:
    root, flow, commands = conversation_tree()
    assert await root.propagate_event("message", text("hi"), raw_state="Other:x") == "rest"
    assert (flow.count, commands.count) == (0, 0)
    for state in ("Flow:typing", None):  # a state of the filter, and "no state"
        assert await root.propagate_event("message", text("hi"), raw_state=state) == "flow"
    assert flow.count == 2


@pytest.mark.parametrize(
    ("message", "handled_by"),
    [
        (text("/help"), "help"),
        (text("  /HELP@resident_bot now"), "help"),  # whitespace, case, mention, words
        (text(None, caption="/help"), "help"),  # a photo's caption
        (text("/start inv_x"), "start"),
        (text("/stats"), "rest"),  # a command nobody here takes
        (text("help /help"), "rest"),
        (text("/"), "rest"),
        (text(None), "rest"),  # a sticker
    ],
)
async def test_commands_routers_see_only_their_commands(message: Message, handled_by: str) -> None:
    root, _, commands = conversation_tree()
    me = User(id=42, is_bot=True, first_name="B", username="resident_bot")
    bot = SimpleNamespace(me=AsyncMock(return_value=me))  # asked for a mention only
    assert (
        await root.propagate_event("message", message, raw_state="Other:x", bot=bot) == handled_by
    )
    assert commands.count == (handled_by in ("help", "start"))


def test_a_handler_without_the_filter_keeps_its_router_open() -> None:
    router = Router(name="open")
    router.callback_query.register(lambda callback: "any", F.data == "x")
    router.message.register(lambda message: "any", Command("help"))
    router.message.register(lambda message: "any", F.text)
    reach = reach_of(router)
    assert reach.prefixes is None and reach.messages is None
    any_state = Router(name="any_state")
    any_state.message.register(lambda message: "any", StateFilter("*"))
    assert reach_of(any_state).messages is None
