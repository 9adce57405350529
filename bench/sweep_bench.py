"""Benchmark: the SLA sweep on a table of 1,000,000 tickets.

Fills a fresh database with ``--tickets`` tickets (most closed, the open ones with
SLA checks spread over the next weeks), of which ``--due`` become overdue at one
moment and 100 at an earlier one, then times:

- a sweep when nothing is due (target: under 100 ms whatever the table size);
- a sweep with 100 newly overdue tickets, and one with ``--due`` (1,000): the cost
  should follow the number due, not the table size.

Each timed sweep is the real thing: claim, decide, conditional updates, history
events, notices and the digest messages queued in the outbox, committed.

    .venv/bin/python bench/sweep_bench.py                       # SQLite file in /tmp
    .venv/bin/python bench/sweep_bench.py --url postgresql+asyncpg://postgres@127.0.0.1:5432/rsb_sweep_bench
    SWEEP_BENCH_URL=... .venv/bin/python bench/sweep_bench.py --tickets 200000

The database is rebuilt on every run (SQLite: the file is replaced; PostgreSQL:
the database is dropped and created).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sqlite3
import statistics
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import func, select, text
from sqlalchemy.engine import make_url

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import bot.presentation.outbound  # noqa: F401  (the renderers, loaded at start as in the app)
from bench.postgres import recreate_postgres
from bot.app.context import Context
from bot.config.orgfile import load_organisation
from bot.services.directory import sync_organisation
from bot.services.sla.sweep import sweep_due_tickets
from storage.db import create_engine, create_sessionmaker, is_sqlite_url
from storage.migrate import upgrade
from storage.models import OrgUnit, OutboxMessage, Ticket, TicketEvent

ORG_FILE = Path(__file__).resolve().parents[1] / "tests" / "fixtures" / "organisation.toml"
NOW = datetime(2026, 11, 10, 4, 0, tzinfo=UTC)
EARLY_DUE = 100
CHUNK = 50_000
COLUMNS = (
    "number",
    "project_id",
    "seq",
    "kind",
    "urgent",
    "status",
    "description",
    "affected_count",
    "reopen_count",
    "created_at",
    "first_response_due_at",
    "resolution_due_at",
    "first_responded_at",
    "resolved_at",
    "paused_seconds",
    "response_escalation_level",
    "resolution_escalation_level",
    "next_sla_check_at",
    "version",
)


def ticket_rows(total: int, due: int, projects: list[int]) -> Iterator[tuple]:
    """Tickets as tuples in COLUMNS order (aware UTC datetimes)."""
    hour = timedelta(hours=1)
    for i in range(total):
        project = projects[i % len(projects)]
        number = f"B{i:09d}"
        if i < EARLY_DUE + due:
            # Unanswered complaints whose first response falls due just before NOW
            # (the first 100) or ten minutes after it (the next ``due``).
            deadline = NOW - timedelta(minutes=1) if i < EARLY_DUE else NOW + timedelta(minutes=10)
            created = deadline - 24 * hour
            yield (
                number, project, i, "complaint", False, "new", "", 1, 0, created,
                deadline, created + 48 * hour, None, None, 0, 0, 0, deadline, 1,
            )  # fmt: skip
        elif i % 10 < 7:
            # Closed long ago: no SLA check any more.
            created = NOW - timedelta(days=30 + i % 700)
            yield (
                number, project, i, "repair", False, "closed", "", 1, 0, created,
                created + 4 * hour, created + 72 * hour, created + hour,
                created + 20 * hour, 0, 0, 0, None, 3,
            )  # fmt: skip
        else:
            # Open, answered, resolution clock running: checks spread over 3 weeks.
            check = NOW + timedelta(hours=1 + i % 500)
            created = check - 54 * hour
            yield (
                number, project, i, "repair", False, "in_progress", "", 1, 0, created,
                created + 4 * hour, check + 18 * hour, created + hour, None, 0, 0, 0, check, 2,
            )  # fmt: skip


def naive(value: object) -> object:
    return value.astimezone(UTC).replace(tzinfo=None) if isinstance(value, datetime) else value


def fill_sqlite(path: str, total: int, due: int, projects: list[int]) -> None:
    connection = sqlite3.connect(path)
    connection.execute("PRAGMA synchronous=OFF")
    placeholders = ", ".join("?" for _ in COLUMNS)
    statement = f"INSERT INTO tickets ({', '.join(COLUMNS)}) VALUES ({placeholders})"
    batch: list[tuple] = []
    for row in ticket_rows(total, due, projects):
        # SQLAlchemy stores SQLite datetimes as ISO text with microseconds.
        batch.append(
            tuple(
                v.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f") if isinstance(v, datetime) else v
                for v in row
            )
        )
        if len(batch) == CHUNK:
            connection.executemany(statement, batch)
            batch.clear()
    if batch:
        connection.executemany(statement, batch)
    connection.commit()
    connection.execute("ANALYZE")
    connection.close()


async def fill_postgres(url: str, total: int, due: int, projects: list[int]) -> None:
    import asyncpg

    dsn = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    connection = await asyncpg.connect(dsn)
    try:
        rows = (tuple(naive(v) for v in row) for row in ticket_rows(total, due, projects))
        batch: list[tuple] = []
        for row in rows:
            batch.append(row)
            if len(batch) == CHUNK:
                await connection.copy_records_to_table("tickets", records=batch, columns=COLUMNS)
                batch.clear()
        if batch:
            await connection.copy_records_to_table("tickets", records=batch, columns=COLUMNS)
        await connection.execute("ANALYZE tickets")
    finally:
        await connection.close()


async def timed_sweep(sessionmaker, org, now: datetime) -> tuple[float, int, int, int]:
    """One full sweep (batches of 500 until done): seconds, tickets, escalations, messages."""
    started = time.perf_counter()
    examined = escalations = messages = 0
    while True:
        async with sessionmaker() as session, session.begin():
            result = await sweep_due_tickets(session, Context(org, now), limit=500)
        examined += result.examined
        escalations += result.escalations
        messages += result.messages
        if result.examined < 500:
            break
    return time.perf_counter() - started, examined, escalations, messages


async def explain(sessionmaker, now: datetime, sqlite: bool) -> str:
    query = (
        ("EXPLAIN QUERY PLAN " if sqlite else "EXPLAIN ")
        + "SELECT id FROM tickets WHERE next_sla_check_at <= :now"
        " ORDER BY next_sla_check_at LIMIT 500"
    )
    async with sessionmaker() as session:
        rows = (await session.execute(text(query), {"now": naive(now)})).all()
    return " | ".join(str(row[-1]) for row in rows)


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default=os.environ.get("SWEEP_BENCH_URL", ""))
    parser.add_argument("--tickets", type=int, default=1_000_000)
    parser.add_argument("--due", type=int, default=1_000)
    args = parser.parse_args()
    url = args.url or "sqlite+aiosqlite:////tmp/rsb_sweep_bench.sqlite3"
    sqlite = is_sqlite_url(url)
    if sqlite:
        path = make_url(url).database or ""
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)  # noqa: ASYNC240
    else:
        await recreate_postgres(url)

    org = load_organisation(ORG_FILE)
    engine = create_engine(url)
    sessionmaker = create_sessionmaker(engine)
    try:
        await upgrade(engine)
        async with sessionmaker() as session, session.begin():
            await sync_organisation(session, org, NOW)
        async with sessionmaker() as session:
            projects = list(
                (
                    await session.scalars(
                        select(OrgUnit.id).where(OrgUnit.ticket_prefix.is_not(None))
                    )
                ).all()
            )
        started = time.perf_counter()
        if sqlite:
            await engine.dispose()
            await asyncio.to_thread(fill_sqlite, path, args.tickets, args.due, projects)
        else:
            await fill_postgres(url, args.tickets, args.due, projects)
        fill_seconds = time.perf_counter() - started
        async with sessionmaker() as session:
            count = await session.scalar(select(func.count()).select_from(Ticket))
        print(f"database: {'SQLite' if sqlite else 'PostgreSQL'} ({url})")
        print(f"tickets: {count:,} (filled in {fill_seconds:.1f} s)")
        print(f"plan of the due query: {await explain(sessionmaker, NOW, sqlite)}")

        idle = []
        for _ in range(7):
            seconds, examined, _, _ = await timed_sweep(sessionmaker, org, NOW - timedelta(hours=1))
            assert examined == 0
            idle.append(seconds)
        print(f"sweep, nothing due: median {statistics.median(idle) * 1000:.1f} ms "
              f"(min {min(idle) * 1000:.1f}, max {max(idle) * 1000:.1f})")  # fmt: skip

        for label, moment in (
            (f"{EARLY_DUE} newly overdue", NOW),
            (f"{args.due} newly overdue", NOW + timedelta(minutes=11)),
        ):
            seconds, examined, escalations, messages = await timed_sweep(sessionmaker, org, moment)
            print(f"sweep, {label}: {seconds * 1000:.1f} ms — {examined} tickets, "
                  f"{escalations} escalations, {messages} messages queued, "
                  f"{seconds * 1000 / max(examined, 1):.2f} ms per ticket")  # fmt: skip
            again, examined_again, _, _ = await timed_sweep(sessionmaker, org, moment)
            print(f"  the same sweep again: {again * 1000:.1f} ms, {examined_again} tickets")

        async with sessionmaker() as session:
            events = await session.scalar(
                select(func.count()).select_from(TicketEvent).where(TicketEvent.kind == "escalated")
            )
            outbox = await session.scalar(select(func.count()).select_from(OutboxMessage))
        print(f"escalation events: {events}, outbox messages: {outbox}")
    finally:
        await engine.dispose()


if __name__ == "__main__":
    asyncio.run(main())
