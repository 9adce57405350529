"""Runs the SLA sweep in batches, one transaction each, and stops cleanly.

The scheduler calls :meth:`SlaSweeper.run` every ``SLA_SWEEP_INTERVAL`` seconds
(and once at start, which is the catch-up after downtime). A run takes batches
of due tickets until fewer than a full batch is due. :meth:`stop` lets the batch
in hand commit and prevents new ones; whatever was not reached is still due
(``next_sla_check_at`` has not moved) and is handled after restart. A batch that
queued messages wakes the outbox sender when it commits, as any transaction does
(``storage.outbox_queue.wake_after_commit``): an escalation goes out at once.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.services.context import Context
from bot.services.sla.sweep import SweepResult, sweep_due_tickets
from scheduler.observed import SweepMetrics

log = logging.getLogger(__name__)


class SlaSweeper:
    def __init__(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        context: Callable[[], Context],
        *,
        batch_size: int = 500,
        max_batches: int = 100,
        metrics: SweepMetrics | None = None,
    ) -> None:
        self._metrics = metrics
        self._sessionmaker = sessionmaker
        self._context = context  # the domain context at the clock's now, for each batch
        self._batch_size = batch_size
        self._max_batches = max_batches
        self._lock = asyncio.Lock()
        self._stopping = False

    async def run(self) -> SweepResult:
        total = SweepResult()
        began = time.monotonic()
        async with self._lock:
            for _ in range(self._max_batches):
                if self._stopping:
                    break
                async with self._sessionmaker() as session, session.begin():
                    result = await sweep_due_tickets(
                        session, self._context(), limit=self._batch_size
                    )
                total.add(result)
                if self._metrics is not None:  # committed: counted
                    for (ladder, level), count in result.levels.items():
                        self._metrics.escalations.labels(ladder, str(level)).inc(count)
                if result.examined < self._batch_size or result.lost_races == result.examined:
                    break  # all due tickets handled (or none could be: try next time)
        if self._metrics is not None:
            self._metrics.sla_sweep_seconds.observe(time.monotonic() - began)
        return total

    async def stop(self) -> None:
        """Finish the batch in hand, start no other."""
        self._stopping = True
        async with self._lock:
            pass
