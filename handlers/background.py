"""Work a handler starts that runs after its update: sends that must not hold the update's
transaction across a Telegram round-trip (the update worker commits first, see
``bot/app/runtime/handling.py``) and whose outcome the handler acts on — a report or a
ticket's details sent privately from a group, where Telegram may refuse because the
person never opened a chat with the bot.

The work starts only once the update's transaction has committed, and never if it rolls
back (``storage/on_commit.py``): an update tried again (SQLite, after meeting another
writer) or handled again later must not send its report, its file or its details twice.
The task runs in a copy of the handler's context, taken when it asked (its language; the
update's reply collector, closed by then, so its calls go out at once). It opens its own
short transaction if it writes. A stop of the application waits for it (for a grace
period) before it closes the Bot API session and the database.
"""

from __future__ import annotations

import asyncio
import contextvars
import logging
from collections.abc import Coroutine
from typing import Any, Protocol

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from storage.on_commit import on_commit

log = logging.getLogger(__name__)


class Keeper(Protocol):
    """Where started work is counted until done: the application's stop waits for it."""

    def keep(self, task: asyncio.Task[Any]) -> None: ...


class Background(Protocol):
    """What such work needs of the application's ``deps``: its sessionmaker, and the
    keeper of the work in hand."""

    @property
    def sessionmaker(self) -> async_sessionmaker[AsyncSession]: ...

    @property
    def in_hand(self) -> Keeper: ...


def in_background(
    deps: Background, session: AsyncSession, work: Coroutine[Any, Any, None], name: str
) -> None:
    """Run ``work`` as a task once ``session`` (the update's) commits, kept in
    ``deps.in_hand`` until done; close it unrun if the transaction rolls back."""
    context = contextvars.copy_context()

    def start() -> None:
        task = asyncio.get_running_loop().create_task(work, name=name, context=context)
        deps.in_hand.keep(task)  # a reference until it is done, and a stop waits for it
        task.add_done_callback(_finished)

    on_commit(session, start, drop=work.close)


def _finished(task: asyncio.Task[None]) -> None:
    if not task.cancelled() and (error := task.exception()) is not None:
        log.error("%s failed after its update", task.get_name(), exc_info=error)
