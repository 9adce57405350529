"""One update, one transaction; what it sends, sent after the commit.

Everything an update causes — conversation state, domain changes, queued
notifications, the Bot API calls its handler made, and the inbox row's "done"
mark — commits together. If the handler fails, or the process dies, all of it rolls
back, nothing was sent, and the update is handled again later; if it was already
handled, it is skipped (the "done" mark is a conditional update). Only after the
commit are the handler's calls made (``runtime/replies.py``), so no transaction
waits on Telegram and no reply announces a change that was not stored.

On SQLite the transaction starts deferred: it reads without the write lock and takes
it at its first write. When another writer committed meanwhile, that write fails
before anything is stored or sent; the update is then run again at once with the
write lock taken from the start (``storage/db.py``).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from contextlib import nullcontext
from datetime import timedelta
from typing import Any

from aiogram import Bot, Dispatcher
from aiogram.dispatcher.event.bases import UNHANDLED
from aiogram.types import Update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.app.runtime import replies
from bot.app.runtime.sent_marks import SentMarks
from bot.clock import Clock
from storage import inbox
from storage.db import deferred_transactions, is_write_conflict
from storage.fsm import keys_holding, tracking_writes
from storage.session_context import current_session
from storage.statements import statement_scope

DEFAULT_REPLY_LEASE = timedelta(minutes=2)


class _Conflicts:
    """When deferred transactions keep meeting other writers (a busy bot: the poller and
    the outbox sender commit all the time), running updates twice costs more than the
    write lock: after a conflict the next ``IMMEDIATE_AFTER_CONFLICT`` updates take the
    lock at once, then deferred is tried again."""

    IMMEDIATE_AFTER_CONFLICT = 50

    def __init__(self) -> None:
        self._immediate_left = 0

    def deferred_now(self) -> bool:
        if self._immediate_left > 0:
            self._immediate_left -= 1
            return False
        return True

    def happened(self) -> None:
        self._immediate_left = self.IMMEDIATE_AFTER_CONFLICT


_conflicts = _Conflicts()


async def handle_update_once(
    dispatcher: Dispatcher,
    bot: Bot,
    sessionmaker: async_sessionmaker[AsyncSession],
    clock: Clock,
    payload: dict[str, Any] | Update,
    *,
    from_inbox: bool,
    worker_id: str | None = None,
    reply_lease: timedelta = DEFAULT_REPLY_LEASE,
    unrecorded: list[Callable[[], Awaitable[None]]] | None = None,
    sent_marks: SentMarks | None = None,
    transaction_slots: asyncio.Semaphore | None = None,
    **data: Any,
) -> Any:
    """Handle one update (a stored payload, parsed here once; or an ``Update``);
    ``data`` goes to the handlers with the dispatcher's own (the worker passes what it
    knows of the chat's backlog). What Telegram answered but could not be written down
    (the database went away) is appended to ``unrecorded`` for the caller to write later.
    ``transaction_slots`` bounds the update transactions open at once (the worker's: as
    many as the connection pool keeps, so that none of them opens a connection of its
    own); the replies after the commit are sent outside it."""
    replies.install(bot)
    update = (
        payload
        if isinstance(payload, Update)
        else Update.model_validate(payload, context={"bot": bot})
    )
    conflicted = False
    for deferred in (_conflicts.deferred_now(), False):
        # A run again after a conflict counts apart (tests count the statements of one).
        with statement_scope("update.retry" if conflicted else "update"):
            with deferred_transactions(deferred) as attempt:
                try:
                    async with transaction_slots or nullcontext():
                        handled = await _in_one_transaction(
                            dispatcher,
                            bot,
                            sessionmaker,
                            clock,
                            update,
                            from_inbox,
                            worker_id,
                            reply_lease,
                            data,
                        )
                except Exception as error:
                    if attempt.conflict or (deferred and is_write_conflict(error)):
                        _conflicts.happened()
                        conflicted = True
                        continue  # nothing was stored or sent: again, with the lock at once
                    raise
            if handled is None:
                return UNHANDLED  # handled already (re-delivery, or another worker won)
            result, calls, fsm_keys = handled
            await replies.deliver(
                bot,
                sessionmaker,
                clock,
                calls,
                update_id=update.update_id if from_inbox and calls else None,
                fsm_keys=fsm_keys,
                unrecorded=unrecorded,
                sent_marks=sent_marks,
            )
            return result
    raise AssertionError("unreachable")


async def _in_one_transaction(
    dispatcher: Dispatcher,
    bot: Bot,
    sessionmaker: async_sessionmaker[AsyncSession],
    clock: Clock,
    update: Update,
    from_inbox: bool,
    worker_id: str | None,
    reply_lease: timedelta,
    data: dict[str, Any],
) -> tuple[Any, list[replies.Call], set[str]] | None:
    async with sessionmaker() as session:
        token = current_session.set(session)
        try:
            async with session.begin():
                with tracking_writes() as written, replies.collecting() as collected:
                    result = await dispatcher.feed_update(bot, update, session=session, **data)
                # Conversations that stored a stand-in message id get the real one later.
                fsm_keys = keys_holding(session, written, replies.is_placeholder)
                if from_inbox and not await inbox.mark_done(
                    session,
                    update.update_id,
                    clock.now(),
                    calls=collected.storable(),
                    owner=worker_id,
                    lease=reply_lease,
                ):
                    # Another worker finished it meanwhile: undo ours, keep theirs.
                    await session.rollback()
                    return None
            return result, collected.calls, fsm_keys
        finally:
            current_session.reset(token)
