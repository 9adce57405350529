"""The notices' delivery reports: each sender hears how their notice is going, and the
final count (delivered, unreachable) once every copy is settled."""

from __future__ import annotations

from bot.services.announcements.sending import report_progress
from scheduler.deps import JobDeps, queue_and_wake

# How often the senders' progress is looked at (a notice to thousands takes minutes).
NOTICE_PROGRESS_SECONDS = 15


async def report_notice_progress(deps: JobDeps) -> int:
    return await queue_and_wake(deps, report_progress)
