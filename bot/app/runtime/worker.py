"""Handles stored updates: chats in parallel, each chat's updates in order.

A batch is claimed in one statement; each update is then handled in its own
transaction and its replies sent after the commit (``runtime/handling.py``). The
worker does not wait for a whole batch before it claims the next one: each chat's
updates run as a task of their own, a chat's later updates are chained after its
earlier ones (so its replies keep their order), and a chat that finishes wakes the
loop to claim what arrived for it meanwhile (the claim skips a chat while one of its
updates is in hand). So one slow chat — a Telegram round-trip, a long report — never
holds up the others. What
was learnt from Telegram after a commit but could not be written down (the database
went away) is written first in the next batch, so no reply goes out twice; replies a
dead process owed are handed to the outbox once its lease runs out (checked once per
lease).

When the database goes away mid-batch, the updates in hand are neither counted as
failed nor left leased: the batch ends with the outage error (the loop backs off,
see ``scheduler/batch_loop.py``) and the first thing the next batch does is give
them back, so they are handled, in order, as soon as the database returns.
"""

from __future__ import annotations

import asyncio
import logging
import time
import traceback
from collections import defaultdict
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from functools import partial
from typing import Any

from aiogram import Bot, Dispatcher
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.app.observability.metrics import Metrics
from bot.app.runtime.handling import handle_update_once
from bot.app.runtime.replies import recover_owed
from bot.app.runtime.sent_marks import SentMarks
from bot.clock import Clock
from scheduler.batch_loop import BatchLoop
from scheduler.resilience import (
    Outage,
    is_database_outage,
    is_lost_race,
    is_transient,
    summary,
)
from storage import inbox
from storage.inbox import ClaimedUpdate
from storage.models import InboundStatus
from storage.statements import statement_scope

log = logging.getLogger(__name__)

# A claim that found nothing after news: look again after this, doubling up to the poll
# interval (just past the sent-marks window, when the other instance's marks are written).
LOOK_AGAIN_FIRST = 0.06

# Called, inside the transaction that parks an update as failed, to tell its sender.
GaveUpCallback = Callable[[AsyncSession, dict[str, Any]], Awaitable[None]]


class UpdateWorker(BatchLoop):
    def __init__(
        self,
        dispatcher: Dispatcher,
        bot: Bot,
        sessionmaker: async_sessionmaker[AsyncSession],
        clock: Clock,
        *,
        worker_id: str,
        lease: timedelta,
        max_attempts: int,
        poll_interval: float,
        max_concurrent_chats: int,
        max_concurrent_transactions: int | None = None,
        on_gave_up: GaveUpCallback | None = None,
        outage: Outage | None = None,
        metrics: Metrics | None = None,
    ) -> None:
        super().__init__(poll_interval, outage=outage or Outage("update worker"))
        self._metrics = metrics or Metrics()
        self._dispatcher = dispatcher
        self._bot = bot
        self._sessionmaker = sessionmaker
        self._clock = clock
        self._worker_id = worker_id
        self._lease = lease
        self._max_attempts = max_attempts
        self._chat_slots = asyncio.Semaphore(max_concurrent_chats)
        # A chat holds its slot while its replies go out; its transaction, only a
        # connection. Bounded by the pool's size: an update past it would open a connection
        # of its own and close it when done (a server process, a handshake and every
        # statement prepared again on PostgreSQL; a thread and the pragmas on SQLite).
        self._transaction_slots = (
            None
            if max_concurrent_transactions is None
            else asyncio.Semaphore(max_concurrent_transactions)
        )
        self._max_concurrent_transactions = max_concurrent_transactions
        self._on_gave_up = on_gave_up
        # Claimed by this worker, not handled because the database went away: given back
        # at the start of the next batch.
        self._to_release: set[int] = set()
        # What Telegram answered after a commit, not yet written (the database was away).
        self._unrecorded: list[Callable[[], Awaitable[None]]] = []
        self._next_recovery: datetime | None = None
        # Each chat's updates in hand, as the task handling them (the last one chained).
        self._in_flight: dict[str, asyncio.Task[None]] = {}
        # Chats that were in hand when a claim ran: it skipped their newer updates.
        self._skipped: set[str] = set()
        # What a chat's task raised that the loop must act on (an outage, a fault).
        self._failure: BaseException | None = None
        # Updates whose replies went out, marked done together.
        self._sent_marks = SentMarks(sessionmaker)
        # Claimed by this worker and not finished: never taken for a dead process's.
        self._in_hand: set[int] = set()
        # New updates were stored since the last claim (``news``); when that claim found
        # nothing, another instance still holds their chat: look again shortly.
        self._news = False
        self._look_again: asyncio.TimerHandle | None = None
        self._look_again_after = LOOK_AGAIN_FIRST

    @property
    def max_concurrent_transactions(self) -> int | None:
        """How many update transactions may be open at once (None: no limit)."""
        return self._max_concurrent_transactions

    def news(self) -> None:
        """Updates were stored (by the poller or the webhook): claim them now."""
        self._news = True
        self.wake()

    def _after_claim(self, claimed: int, had_news: bool) -> None:
        """Several instances: a chat's new update arrives here while another instance is
        still sending the replies to its previous one (or has just sent them and marks
        that a moment later, ``sent_marks.py``), so the claim skips it. Nothing would wake
        this worker for it before its poll interval: it looks again after a short wait,
        doubling while it keeps finding nothing. (One instance: its own chats in hand
        wake it when done; a claim that finds nothing after news is rare.)"""
        if claimed or not had_news:
            self._look_again_after = LOOK_AGAIN_FIRST
            return
        if self._look_again is not None or self._look_again_after > self._poll_interval:
            return
        delay, self._look_again_after = self._look_again_after, self._look_again_after * 2
        self._look_again = asyncio.get_running_loop().call_later(delay, self._looked_again)

    def _looked_again(self) -> None:
        self._look_again = None
        self._news = True  # still unclaimed news, as far as this worker knows
        self.wake()

    async def _record_pending(self) -> None:
        while self._unrecorded:
            await self._unrecorded[0]()  # an outage again: kept, and the loop backs off
            self._unrecorded.pop(0)

    async def _recover_owed_replies(self) -> None:
        now = self._clock.now()
        if self._next_recovery is not None and now < self._next_recovery:
            return
        await self._sent_marks.flush()  # ours are not a dead process's
        async with self._sessionmaker() as session, session.begin():
            recovered = await recover_owed(session, now, in_hand=self._in_hand)
        if recovered:
            log.warning(
                "Replies of %s updates handled before a crash went to the outbox", recovered
            )
        self._next_recovery = now + self._lease

    async def run(self) -> None:
        try:
            await super().run()
        except asyncio.CancelledError:
            for task in self._in_flight.values():
                task.cancel()  # their sends go to the outbox (``runtime/replies.py``)
            raise
        finally:
            # Stopping: the chats in hand finish first (cancelled ones, at once).
            if self._in_flight:
                await asyncio.wait(list(self._in_flight.values()))
            await self._sent_marks.close()

    async def _one_batch(self) -> int:
        if self._failure is not None:
            failure, self._failure = self._failure, None
            raise failure
        return await self.claim_and_start()

    async def run_once(self) -> int:
        """Claim one batch and handle it to the end; returns how many updates were
        attempted (for tests and tools: the loop does not wait, see the module)."""
        claimed = await self.claim_and_start()
        while self._in_flight:
            await asyncio.wait(list(self._in_flight.values()))
        await self._sent_marks.flush()
        if self._failure is not None:
            failure, self._failure = self._failure, None
            raise failure
        return claimed

    async def claim_and_start(self) -> int:
        """Claim a batch and start its chats; returns how many updates were claimed."""
        with statement_scope("inbox"):
            await self._record_pending()
            if self._to_release:
                await self._release(sorted(self._to_release))
                self._to_release.clear()
            await self._recover_owed_replies()
            had_news, self._news = self._news, False
            async with self._sessionmaker() as session, session.begin():
                claimed = await inbox.claim_batch(
                    session, self._worker_id, self._clock.now(), self._lease
                )
        self._skipped.update(self._in_flight)
        self._after_claim(len(claimed), had_news)
        if not claimed:
            return 0
        by_chat: dict[str, list[ClaimedUpdate]] = defaultdict(list)
        for row in claimed:
            by_chat[row.chat_key].append(row)
        for chat_key, rows in by_chat.items():
            self._start_chat(chat_key, rows)
        return len(claimed)

    def _start_chat(self, chat_key: str, rows: list[ClaimedUpdate]) -> None:
        after = self._in_flight.get(chat_key)
        claimed_at = time.monotonic()
        task = asyncio.create_task(
            self._chat_task(rows, after, claimed_at), name=f"chat {chat_key}"
        )
        self._in_flight[chat_key] = task
        update_ids = {row.update_id for row in rows}
        self._in_hand.update(update_ids)
        task.add_done_callback(lambda _task: self._in_hand.difference_update(update_ids))
        task.add_done_callback(partial(self._chat_done, chat_key))

    async def _chat_task(
        self, rows: list[ClaimedUpdate], after: asyncio.Task[None] | None, claimed_at: float
    ) -> None:
        if after is not None:
            await asyncio.wait([after])  # the chat's earlier updates first
            if self._to_release or self._failure is not None:
                # They met an outage: these wait for the next batch, in order.
                self._to_release.update(r.update_id for r in rows)
                return
        with statement_scope("update"):
            await self._handle_chat(rows, claimed_at)

    def _chat_done(self, chat_key: str, task: asyncio.Task[None]) -> None:
        if self._in_flight.get(chat_key) is task:
            del self._in_flight[chat_key]
            if chat_key in self._skipped:
                self._skipped.discard(chat_key)
                self.wake()  # its newer updates were skipped by a claim meanwhile
        if task.cancelled():
            return
        error = task.exception()
        if error is not None and self._failure is None:
            # The database went away (or a fault): the loop decides, at its next turn.
            self._failure = error
            self.wake()

    async def _handle_chat(self, rows: list[ClaimedUpdate], claimed_at: float) -> None:
        async with self._chat_slots:
            for index, row in enumerate(rows):
                later = rows[index + 1 :]
                backlog = (len(later), later[-1].update_id if later else None)
                try:
                    handled = await self._handle(row, backlog, claimed_at)
                    if not handled:
                        # Keep the chat's order: release the rest, they follow after the retry.
                        await self._release([r.update_id for r in rows[index + 1 :]])
                        return
                except Exception as error:
                    if is_transient(error):  # this one and the rest of the chat wait for it
                        self._to_release.update(r.update_id for r in rows[index:])
                    raise

    async def _handle(
        self, row: ClaimedUpdate, backlog: tuple[int, int | None], claimed_at: float
    ) -> bool:
        try:
            await handle_update_once(
                self._dispatcher,
                self._bot,
                self._sessionmaker,
                self._clock,
                row.payload,
                from_inbox=True,
                worker_id=self._worker_id,
                reply_lease=self._lease,
                unrecorded=self._unrecorded,
                sent_marks=self._sent_marks,
                transaction_slots=self._transaction_slots,
                inbox_backlog=backlog,
            )
            self._metrics.updates_handled.inc()
            self._metrics.handling_seconds.observe(time.monotonic() - claimed_at)
            return True
        except asyncio.CancelledError:
            raise
        except Exception as error:
            if _database_away(error):
                raise  # not the update's fault: it is not counted as a failed attempt
            self._metrics.updates_failed.inc()
            if is_lost_race(error):
                # PostgreSQL aborted it for another transaction's sake (a deadlock): nothing
                # of it committed or was sent; it is tried again at once (still counted,
                # so that a race lost for ever ends like any other failure).
                log.warning(
                    "Update %s lost a race (%s); trying it again", row.update_id, summary(error)
                )
                await self._record_failure(row, error, delay=timedelta(0))
                self.wake()
                return False
            log.exception("Update %s failed", row.update_id)
            await self._record_failure(row, error)
            return False

    async def _record_failure(
        self, row: ClaimedUpdate, error: Exception, delay: timedelta | None = None
    ) -> None:
        now = self._clock.now()
        if delay is None:
            delay = timedelta(seconds=min(2 ** (row.attempts + 1), 300))
        summary = "".join(traceback.format_exception_only(error)).strip()
        async with self._sessionmaker() as session, session.begin():
            status = await inbox.record_failure(
                session, row.update_id, summary, now, now + delay, self._max_attempts
            )
            if status is InboundStatus.FAILED and self._on_gave_up is not None:
                await self._on_gave_up(session, row.payload)

    async def _release(self, update_ids: list[int]) -> None:
        if not update_ids:
            return
        async with self._sessionmaker() as session, session.begin():
            await inbox.release(session, update_ids)


def _database_away(error: Exception) -> bool:
    """An outage error that surely came from the database (a handler's own OSError, say,
    is counted against the update; recording that failure then meets any real outage)."""
    return is_database_outage(error) and isinstance(error, SQLAlchemyError | ConnectionError)
