"""The scheduler's jobs, and the work handlers start after their updates, running now,
so that a stop lets them finish.

APScheduler's ``shutdown`` starts no new job but does not wait for the asyncio jobs it
started: one still running would go on using the database after the engine was
disposed (its connection still open, its transaction cut off whenever the process
ends). Work a handler runs once its update has committed (``handlers/background.py``:
a report, an export, a ticket's details sent privately) would likewise meet a closed
Bot API session, or be cancelled with the event loop, and its update is done by then:
the manager's report would never come. The application's stop, once the update worker
has stopped, waits for both here, for a grace period, and cancels what is left (a
cancelled job's work rolls back; its next run, after a restart, does it).
"""

from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import Awaitable, Callable
from typing import Any

log = logging.getLogger(__name__)

Job = Callable[..., Awaitable[Any]]


class JobsInHand:
    def __init__(self) -> None:
        self._tasks: set[asyncio.Task[Any]] = set()

    def __len__(self) -> int:
        return len(self._tasks)

    def tracked(self, job: Job) -> Job:
        """``job``, counted while it runs."""

        @functools.wraps(job)
        async def run(*args: Any, **kwargs: Any) -> Any:
            task = asyncio.current_task()
            if task is None:  # not run by the event loop's scheduler: nothing to count
                return await job(*args, **kwargs)
            self._tasks.add(task)
            try:
                return await job(*args, **kwargs)
            finally:
                self._tasks.discard(task)

        return run

    def keep(self, task: asyncio.Task[Any]) -> None:
        """Count ``task`` (already started) until it is done."""
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def finish(self, grace: float) -> None:
        """Wait up to ``grace`` seconds for the jobs running now, then cancel the rest."""
        if not self._tasks:
            return
        running = set(self._tasks)
        _, late = await asyncio.wait(running, timeout=grace)
        if late:
            log.warning(
                "Stopping: %s job(s) still running after %s s cancelled (scheduler jobs, "
                "or work started after an update)",
                len(late),
                grace,
            )
            for task in late:
                task.cancel()
            await asyncio.wait(late, timeout=grace)
