"""Updates whose replies went out, marked done together.

After its commit an update's row is *replying*: it keeps the calls it made, under the
worker's lease, until they are sent (``runtime/replies.py``). Marking it done was a
transaction of its own for every update — a quarter of the CPU an update cost on
PostgreSQL in ``bench/load.py``. When nothing else is to be written down (no message id
for the conversation, nothing for the outbox), the mark waits here a moment and goes
with the others of that moment in one statement.

The price: a process killed in that moment (``DELAY``, 50 ms) leaves those rows
replying, and once the lease runs out the outbox sends their calls again — the same
at-least-once as a kill between the send and the mark, over a slightly longer instant.
A clean stop writes the marks first. The worker writes them before it looks for rows
whose lease ran out, so it never mistakes its own for a dead process's.
"""

from __future__ import annotations

import asyncio
import logging

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from storage import inbox

log = logging.getLogger(__name__)

DELAY = 0.05
RETRY_AT_MOST = 5.0


class SentMarks:
    def __init__(
        self, sessionmaker: async_sessionmaker[AsyncSession], *, delay: float = DELAY
    ) -> None:
        self._sessionmaker = sessionmaker
        self._delay = delay
        self._ids: list[int] = []
        self._timer: asyncio.Task[None] | None = None
        self._lock = asyncio.Lock()

    @property
    def pending(self) -> int:
        return len(self._ids)

    def add(self, update_id: int) -> None:
        self._ids.append(update_id)
        if self._timer is None:
            self._timer = asyncio.create_task(self._soon(), name="sent-marks")

    async def flush(self) -> None:
        """Write the marks now; on an error (the database away) they are kept, and raised."""
        async with self._lock:
            ids, self._ids = self._ids, []
            if not ids:
                return
            try:
                async with self._sessionmaker() as session, session.begin():
                    await inbox.replies_sent(session, ids)
            except BaseException:
                self._ids[:0] = ids
                raise

    async def close(self) -> None:
        """Stopping: the timer ends and what is pending is written (if the database lets)."""
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        try:
            await self.flush()
        except Exception as error:
            log.warning("%s handled updates stay marked replying: %s", self.pending, error)

    async def _soon(self) -> None:
        delay = self._delay
        try:
            while True:
                await asyncio.sleep(delay)
                try:
                    await self.flush()
                    return
                except Exception as error:
                    delay = min(max(delay * 2, 0.5), RETRY_AT_MOST)
                    log.debug("Marking sent replies failed (%s); again in %.1fs", error, delay)
        finally:
            if self._timer is asyncio.current_task():
                self._timer = None
                if self._ids:  # added while the last flush ran
                    self._timer = asyncio.create_task(self._soon(), name="sent-marks")
