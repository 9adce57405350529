"""The loop the update worker and the outbox sender share: take batches while there
is work, then sleep until woken (something new was stored) or the poll interval ends.

A batch that fails because the database or the network is away (see
``scheduler/resilience.py``) is tried again after a jittered back-off, for as long
as the outage lasts; the subclass keeps what it held for that moment. Any other
error ends :meth:`BatchLoop.run` (the application then stops, exiting non-zero).
"""

from __future__ import annotations

import abc
import asyncio
import contextlib

from scheduler.resilience import Outage, is_transient


class BatchLoop(abc.ABC):
    def __init__(self, poll_interval: float, *, outage: Outage | None = None) -> None:
        self._poll_interval = poll_interval
        self._wakeup = asyncio.Event()
        self._stop = asyncio.Event()
        self._stopping = False
        self.outage = outage or Outage(type(self).__name__)

    def wake(self) -> None:
        self._wakeup.set()

    def stop_soon(self) -> None:
        """Finish the batch in hand, then leave :meth:`run`."""
        self._stopping = True
        self._stop.set()
        self._wakeup.set()

    async def run(self) -> None:
        while not self._stopping:
            try:
                handled = await self._one_batch()
            except Exception as error:
                if not is_transient(error):
                    raise
                # Being woken does not cut a back-off short; stopping does.
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._stop.wait(), timeout=self.outage.failed(error))
                continue
            self.outage.recovered()
            if handled:
                continue  # more may be waiting
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wakeup.wait(), timeout=self._poll_interval)
            self._wakeup.clear()

    @abc.abstractmethod
    async def _one_batch(self) -> int:
        """Handle one batch; returns how many items it held (0: nothing was due).

        If it raises a transient error, it must have kept (or be able to give back on
        the next call) whatever it had claimed.
        """
