"""The two runtime fixes bench/load.py found: filters run inline, response models kept."""

from __future__ import annotations

import gc
import threading
import weakref
from datetime import UTC, datetime
from typing import Any

from aiogram import Bot, Dispatcher, F, Router
from aiogram.methods.base import Response
from aiogram.types import Chat, Message, Update, User

from bot.app.runtime.inline_filters import run_filters_inline
from bot.app.runtime.response_models import keep_response_models


def _update(update_id: int, text: str) -> Update:
    return Update(
        update_id=update_id,
        message=Message(
            message_id=update_id,
            date=datetime(2026, 12, 2, tzinfo=UTC),
            chat=Chat(id=7, type="private"),
            from_user=User(id=7, is_bot=False, first_name="Li"),
            text=text,
        ),
    )


async def test_sync_filters_run_on_the_loop_and_still_filter() -> None:
    threads: list[int] = []
    seen: list[str] = []

    def not_shouting(message: Message) -> bool:
        threads.append(threading.get_ident())
        return not (message.text or "").isupper()

    router = Router()
    router.message.filter(F.chat.type == "private")  # a router's own magic filter

    @router.message(F.text.startswith("hi"), not_shouting)
    async def greet(message: Message) -> None:
        seen.append(message.text or "")

    dispatcher = Dispatcher()
    dispatcher.include_router(router)
    assert run_filters_inline(dispatcher) == 3
    assert run_filters_inline(dispatcher) == 0  # once is enough
    bot = Bot("42:TEST")
    try:
        for update_id, text in enumerate(["hi there", "bye", "hi", "HI"], start=1):
            await dispatcher.feed_update(bot, _update(update_id, text))
    finally:
        await bot.session.close()
    assert seen == ["hi there", "hi"]
    assert set(threads) == {threading.get_ident()}  # no worker thread was used


def test_response_models_survive_garbage_collection() -> None:
    assert keep_response_models() > 30
    model: Any = Response[Message]
    alive = weakref.ref(model)
    del model
    gc.collect()
    assert alive() is not None
    assert Response[Message] is alive()  # the cached model, not a new one
