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
short transaction if it writes.
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

_PENDING: set[asyncio.Task[None]] = set()


class Sessions(Protocol):
    """What such work needs of the application's ``deps``: its sessionmaker."""

    @property
    def sessionmaker(self) -> async_sessionmaker[AsyncSession]: ...


def in_background(session: AsyncSession, work: Coroutine[Any, Any, None], name: str) -> None:
    """Run ``work`` as a task once ``session`` (the update's) commits; close it unrun if
    the transaction rolls back."""
    context = contextvars.copy_context()

    def start() -> None:
        task = asyncio.get_running_loop().create_task(work, name=name, context=context)
        _PENDING.add(task)  # keep a reference until it is done
        task.add_done_callback(_finished)

    on_commit(session, start, drop=work.close)


def _finished(task: asyncio.Task[None]) -> None:
    _PENDING.discard(task)
    if not task.cancelled() and (error := task.exception()) is not None:
        log.error("%s failed after its update", task.get_name(), exc_info=error)
