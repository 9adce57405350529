"""What a job needs from the application (the composition root's ``Deps`` provides it)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Protocol

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.clock import Clock
from bot.config.orgfile import Organisation
from bot.services.context import Context
from bot.services.stats.digest import QuietGroups
from scheduler.sla_sweep import SlaSweeper


class JobDeps(Protocol):
    @property
    def organisation(self) -> Organisation: ...
    @property
    def clock(self) -> Clock: ...
    @property
    def sessionmaker(self) -> async_sessionmaker[AsyncSession]: ...
    @property
    def default_locale(self) -> str: ...
    @property
    def sla_sweeper(self) -> SlaSweeper: ...
    @property
    def quiet_digests(self) -> QuietGroups: ...

    def context(self) -> Context: ...

    def wake_sender(self) -> None: ...


async def queue_and_wake(
    deps: JobDeps, queue: Callable[[AsyncSession, Context], Awaitable[int]]
) -> int:
    """``queue(session, context)`` in one transaction; once it has committed, the sender
    is woken if it queued anything. How many it queued."""
    async with deps.sessionmaker() as session, session.begin():
        queued = await queue(session, deps.context())
    if queued:
        deps.wake_sender()
    return queued
