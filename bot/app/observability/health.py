"""The health snapshot behind ``GET /healthz``: is this instance doing its job?

Unhealthy (HTTP 503) when the database does not answer within a short time-out, when a
loop that should run here has stopped, when the scheduler should run here and does
not, or when the application is stopping. The backlogs (how many updates and outbox
messages wait, and the oldest one's age) are reported but never make it unhealthy: a
burst is not a fault, and alerting on them is the metrics' job.

Several instances on PostgreSQL elect one leader to run the outbox sender, the
scheduler and the SLA sweep; a standby (``Application.is_leader`` false) legitimately
runs neither and is healthy without them. The role is in the body.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sqlalchemy import text

from storage.backlog import Backlog, backlog

if TYPE_CHECKING:
    from bot.app.application import Application

DATABASE_TIMEOUT_SECONDS = 2.0
# Loops that work on the leader only (a standby's may idle or stop); every other loop
# must run on every instance.
LEADER_LOOPS = frozenset({"sender", "poller"})


@dataclass
class Health:
    problems: list[str] = field(default_factory=list)
    body: dict[str, Any] = field(default_factory=dict)

    @property
    def healthy(self) -> bool:
        return not self.problems

    @property
    def status_code(self) -> int:
        return 200 if self.healthy else 503


async def read_backlog(
    app: Application, wait: float = DATABASE_TIMEOUT_SECONDS
) -> tuple[Backlog | None, str | None, float]:
    """The queues' backlog (None if the database did not answer in time), why not, and
    how many seconds the answer took. Also sets the metrics' database gauges."""
    metrics = app.metrics
    began = time.monotonic()
    try:
        found = await asyncio.wait_for(_query(app), wait)
    except Exception as error:  # unreachable, refused, timed out: all mean "not there"
        metrics.database_up.set(0)
        reason = "timed out" if isinstance(error, TimeoutError) else type(error).__name__
        return None, reason, time.monotonic() - began
    now = app.clock.now()
    metrics.database_up.set(1)
    metrics.inbox_pending.set(found.inbox.pending)
    metrics.inbox_oldest_seconds.set(found.inbox.oldest_age_seconds(now))
    metrics.outbox_pending.set(found.outbox.pending)
    metrics.outbox_oldest_seconds.set(found.outbox.oldest_age_seconds(now))
    return found, None, time.monotonic() - began


async def _query(app: Application) -> Backlog:
    async with app.sessionmaker() as session:
        await session.execute(text("SELECT 1"))
        return await backlog(session)


async def check(app: Application, wait: float = DATABASE_TIMEOUT_SECONDS) -> Health:
    health = Health()
    leader = app.is_leader
    body: dict[str, Any] = {
        "instance": app.instance_id,
        "role": "leader" if leader else "standby",
    }
    if not app.started:
        health.problems.append("not started")
        health.body = {"status": "unhealthy", "problems": health.problems, **body}
        return health
    if app.stopping:
        health.problems.append("stopping")

    found, error, seconds = await read_backlog(app, wait)
    body["database"] = {"reachable": found is not None, "seconds": round(seconds, 4)}
    if found is None:
        body["database"]["error"] = error
        health.problems.append(f"database unreachable ({error})")

    loops: dict[str, dict[str, Any]] = {}
    for name, task in app.loops.items():
        expected = leader or name not in LEADER_LOOPS
        loops[name] = {"running": not task.done(), "expected": expected}
        if expected and task.done():
            health.problems.append(f"{name} stopped")
    body["loops"] = loops

    running = app.scheduler_running
    body["scheduler"] = {"running": running, "expected": leader}
    if leader and not running:
        health.problems.append("scheduler not running")

    if found is not None:
        now = app.clock.now()
        for name, queue in (("inbox", found.inbox), ("outbox", found.outbox)):
            body[name] = {
                "pending": queue.pending,
                "oldest_pending_seconds": round(queue.oldest_age_seconds(now), 3),
            }
    health.body = {
        "status": "ok" if health.healthy else "unhealthy",
        "problems": health.problems,
        **body,
    }
    return health
