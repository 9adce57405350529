"""Periodic jobs. Each is a few lines that call a service or a storage helper."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from storage import inbox

if TYPE_CHECKING:
    from bot.app import Application

# Telegram keeps unconfirmed updates for 24 h; after that a duplicate cannot arrive.
HANDLED_UPDATE_RETENTION = timedelta(days=2)


async def purge_handled_updates(app: Application) -> int:
    assert app.sessionmaker is not None
    async with app.sessionmaker() as session, session.begin():
        return await inbox.purge_handled(session, app.clock.now() - HANDLED_UPDATE_RETENTION)


def register_jobs(scheduler: AsyncIOScheduler, app: Application) -> None:
    scheduler.add_job(
        purge_handled_updates,
        "interval",
        hours=1,
        args=[app],
        id="purge_handled_updates",
        coalesce=True,
        max_instances=1,
    )
