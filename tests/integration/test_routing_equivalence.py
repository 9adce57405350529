"""The pruned router tree routes every update as aiogram's own routing does.

Every button family of the bot's (each value of its first enum field) and a foreign one,
several kinds of text, in every conversation group's first and last state, in private
and in a group: the update ends at the same handler in both trees (the handlers stubbed,
as in ``bench/routing_bench.py``). Some router filters read the database (whether a
group is bound), hence a session on both databases.
"""

from __future__ import annotations

import enum
from typing import Any

from aiogram import Router
from aiogram.filters.callback_data import CallbackQueryFilter
from aiogram.fsm.state import StatesGroup
from aiogram.types import CallbackQuery, Chat, Message, User
from sqlalchemy.ext.asyncio import AsyncSession

from bench.routing_bench import build, handler_data
from handlers.common.language import ChoosingLanguage
from handlers.notices.compose import NoticeSteps
from handlers.resident import states as resident_states
from handlers.staff.compose import Composing
from handlers.surveys.states import Questionnaire, TicketFeedback

USER = User(id=1, is_bot=False, first_name="A")
PRIVATE = Chat(id=1, type="private")
GROUP = Chat(id=-100, type="supergroup", title="Office")
STATE_GROUPS = [
    ChoosingLanguage,
    NoticeSteps,
    Composing,
    Questionnaire,
    TicketFeedback,
    *(
        value
        for value in vars(resident_states).values()
        if isinstance(value, type) and issubclass(value, StatesGroup) and value is not StatesGroup
    ),
]
TEXTS = ("水管漏水", "/help", "/start inv_x", "/tickets", "/nosuch", None)


async def test_the_bots_routers_route_every_update_as_aiogram_does(
    session: AsyncSession,
) -> None:
    plain, pruned = build(pruned=False), build(pruned=True)
    states = [None, "Elsewhere:x"] + [
        name
        for steps in STATE_GROUPS
        for name in dict.fromkeys((steps.__all_states_names__[0], steps.__all_states_names__[-1]))
    ]
    updates: list[tuple[str, Any, Chat]] = [
        ("callback_query", press(data, chat), chat)
        for data in [*button_data(plain), "zz:1", "", None]
        for chat in (PRIVATE, GROUP)
    ] + [("message", text(words, chat), chat) for words in TEXTS for chat in (PRIVATE, GROUP)]
    handled = set()
    for kind, event, chat in updates:
        for state in states:
            data = handler_data(state, USER, chat, session)
            expected = await plain.propagate_event(kind, event, **data)
            assert await pruned.propagate_event(kind, event, **data) == expected, (
                kind,
                event,
                state,
            )
            handled.add(expected)
    # The comparison reached the routers of every audience, not only the fallback.
    assert {"resident.filing", "staff.cards", "surveys.ticket_feedback.answers"} <= handled
    assert "common.fallback" in handled


def press(data: str | None, chat: Chat) -> CallbackQuery:
    shown = Message.model_construct(message_id=1, chat=chat, text="…")
    return CallbackQuery.model_construct(
        id="1", from_user=USER, chat_instance="c", data=data, message=shown
    )


def text(words: str | None, chat: Chat) -> Message:
    return Message.model_construct(message_id=1, chat=chat, from_user=USER, text=words)


def button_data(root: Router) -> list[str]:
    """Data for every button family the routers take: each value of its first enum field."""
    families = {
        check.callback_data
        for router in (root, *all_below(root))
        for handler in router.callback_query.handlers
        for filter_object in handler.filters or ()
        if isinstance(check := filter_object.callback, CallbackQueryFilter)
    }
    packed = []
    for family in families:
        variants: list[dict[str, Any]] = [{}]
        for name, field in family.model_fields.items():
            kind = field.annotation
            if isinstance(kind, type) and issubclass(kind, enum.Enum):
                values: list[Any] = list(kind) if len(variants) == 1 else [next(iter(kind))]
            else:
                values = [{int: 1, bool: True}.get(kind, "x")]  # type: ignore[call-overload]
            variants = [{**variant, name: value} for variant in variants for value in values]
        packed += [family(**variant).pack() for variant in variants]
    return packed


def all_below(router: Router) -> list[Router]:
    return [r for sub in router.sub_routers for r in (sub, *all_below(sub))]
