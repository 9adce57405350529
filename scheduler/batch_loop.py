"""The loop the update worker and the outbox sender share: take batches while there
is work, then sleep until woken (something new was stored) or the poll interval ends."""

from __future__ import annotations

import abc
import asyncio
import contextlib


class BatchLoop(abc.ABC):
    def __init__(self, poll_interval: float) -> None:
        self._poll_interval = poll_interval
        self._wakeup = asyncio.Event()
        self._stopping = False

    def wake(self) -> None:
        self._wakeup.set()

    def stop_soon(self) -> None:
        """Finish the batch in hand, then leave :meth:`run`."""
        self._stopping = True
        self._wakeup.set()

    async def run(self) -> None:
        while not self._stopping:
            if await self._one_batch():
                continue  # more may be waiting
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wakeup.wait(), timeout=self._poll_interval)
            self._wakeup.clear()

    @abc.abstractmethod
    async def _one_batch(self) -> int:
        """Handle one batch; returns how many items it held (0: nothing was due)."""
