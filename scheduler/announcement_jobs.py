"""The notices' delivery reports: each sender hears how their notice is going, and the
final count (delivered, unreachable) once every copy is settled."""

from __future__ import annotations

from bot.services.announcements.sending import report_progress
from scheduler.deps import JobDeps

# How often the senders' progress is looked at (a notice to thousands takes minutes).
NOTICE_PROGRESS_SECONDS = 15


async def report_notice_progress(deps: JobDeps) -> int:
    async with deps.sessionmaker() as session, session.begin():
        reported = await report_progress(session, deps.context())
    if reported:
        deps.wake_sender()
    return reported
