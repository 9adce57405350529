"""What a job needs from the application (the composition root's ``Deps`` provides it)."""

from __future__ import annotations

from typing import Protocol

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.clock import Clock
from bot.config.orgfile import Organisation
from bot.services.context import Context
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

    def context(self) -> Context: ...

    def wake_sender(self) -> None: ...
