"""The frozen set of dependencies the application builds once at start.

Handlers receive it (and a per-update domain context made from it) through the
middleware; scheduler jobs and CLI commands take it as their argument. Nothing
in it is optional: a component that needs something gets it here or not at all.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.app.context import Context
from bot.clock import Clock
from bot.config.orgfile import Organisation
from bot.config.settings import Settings
from bot.services.stats.digest import QuietGroups
from scheduler.in_hand import JobsInHand
from scheduler.sla_sweep import SlaSweeper


@dataclass(frozen=True)
class Deps:
    settings: Settings
    organisation: Organisation
    clock: Clock
    rng: random.Random
    sessionmaker: async_sessionmaker[AsyncSession]
    default_locale: str
    sla_sweeper: SlaSweeper
    # The staff groups whose daily digest was found empty today (the digest job's memory).
    quiet_digests: QuietGroups
    # Wakes the outbox sender after something was queued outside an update (jobs).
    wake_sender: Callable[[], None]
    # The jobs, and the work handlers start after their updates, that a stop waits for.
    in_hand: JobsInHand

    def context(self, now: datetime | None = None) -> Context:
        """The domain context for one unit of work, at ``now`` (default: the clock's now)."""
        return Context(self.organisation, now or self.clock.now())
