"""Benchmark: manager statistics on a large database.

Fills a database with 1,000,000 tickets over two years across 50 projects (with their
history events, escalations, survey invitations, ratings, comments and NPS answers), then times
``/stats 30d`` for HQ and for one project: the database work (every metric query of
the report, daily series included), the text and the chart.

    .venv/bin/python bench/stats_bench.py                      # SQLite file in /tmp
    .venv/bin/python bench/stats_bench.py --url postgresql+asyncpg://postgres@127.0.0.1:5432/rsb_stats_bench
    STATS_BENCH_URL=... .venv/bin/python bench/stats_bench.py --tickets 200000

An existing filled database is reused (``--refill`` to start over). The PostgreSQL
database is created when missing. Target: under 1 s for each scope.

Then, as the bot does it (``handlers/managers/stats.py``), in a fresh process each:
the first ``/stats 30d`` for HQ of a process (figures read in two read-only sessions side
by side, the chart drawn in a worker thread, the chart library warmed at start in the
background, as ``Application.start`` does; and cold, without the warm-up), while other
"updates" (a small write transaction every 20 ms, and the event loop's own lag) are
timed: the target is < 1 s for the report and no update delayed by more than 100 ms. For
comparison the same report read in one read-only session (as at stop 36), and inside a
write transaction, as it was before that (``--skip-first-call`` leaves this part out).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import cast

from sqlalchemy import func, select, text, update

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.postgres import ensure_postgres_database
from bot.config.orgfile import Category, Hq, LocalizedText, Organisation
from bot.presentation.stats.chart import render_chart, warm_up
from bot.presentation.stats.texts import render_report
from bot.services.stats import requests as stats_requests
from bot.services.stats.periods import parse_period
from bot.services.stats.report import build_report
from bot.services.stats.requests import LANES, reading_from
from bot.services.stats.scope import scope_of_unit
from storage.db import create_engine, create_sessionmaker, is_sqlite_url
from storage.migrate import upgrade
from storage.models import (
    Base,
    Building,
    OrgUnit,
    Person,
    PropertyUnit,
    ResidentUnit,
    StaffMembership,
    SurveyInvitation,
    SurveyResponse,
    Ticket,
    TicketEvent,
)
from storage.read_only import read_only_session, read_only_sessions

NOW = datetime(2026, 11, 10, 4, 0, tzinfo=UTC)
DAYS = 730
PROJECTS = 50
REGIONS = 5
STAFF_PER_PROJECT = 5
UNITS_PER_PROJECT = 40
RESIDENTS = 20_000
CAMPAIGNS = 8  # quarterly questionnaires
CAMPAIGN_SIZE = 5_000
CATEGORIES = [
    "water",
    "lift",
    "noise",
    "power",
    "gas",
    "cleaning",
    "security",
    "parking",
    "door",
    "other",
]
KINDS = ["repair"] * 55 + ["complaint"] * 20 + ["inquiry"] * 15 + ["suggestion"] * 10
SCORES = [5] * 45 + [4] * 30 + [3] * 12 + [2] * 7 + [1] * 6
CHUNK = 5_000
DEFAULT_URL = "sqlite+aiosqlite:////tmp/rsb_stats_bench.sqlite3"


def person(person_id: int, telegram_id: int, name: str) -> dict:
    return {
        "id": person_id,
        "telegram_id": telegram_id,
        "full_name": name,
        "created_at": NOW,
        "reachable": True,
    }


def answer(answer_id: int, question: str, at: datetime, **values) -> dict:
    return {
        "id": answer_id,
        "ticket_id": None,
        "campaign_key": None,
        "person_id": None,
        "question_key": question,
        "score": None,
        "text": None,
        "answered_at": at,
        **values,
    }


def invitation(kind, person, project, sent, answered, **values) -> dict:
    return {
        "kind": kind,
        "ticket_id": None,
        "campaign_key": None,
        "person_id": person,
        "project_id": project,
        "sent_at": sent,
        "answered_at": answered,
        "stage": "done" if answered else "asked",
        "position": 0,
        "updated_at": answered or sent,
        **values,
    }


def organisation() -> Organisation:
    return Organisation(
        hq=Hq(name="HQ"),
        categories=[
            Category(key=key, name=LocalizedText(zh=key, en=key.title())) for key in CATEGORIES
        ],
    )


async def reset_schema(engine) -> None:
    async with engine.begin() as connection:
        await connection.run_sync(Base.metadata.drop_all)
        await connection.execute(text("DROP TABLE IF EXISTS alembic_version"))
    await upgrade(engine)


async def insert(connection, table, rows: list[dict]) -> None:
    for start in range(0, len(rows), CHUNK):
        await connection.execute(table.insert(), rows[start : start + CHUNK])


async def fill(engine, tickets: int, seed: int = 7) -> None:
    rng = random.Random(seed)
    started = time.perf_counter()
    org_rows, building_rows, unit_rows, people, grants = [], [], [], [], []
    org_rows.append(
        {
            "id": 1,
            "key": "hq",
            "level": "hq",
            "name": "总部",
            "parent_id": None,
            "next_ticket_number": 1,
            "active": True,
            "group_chat_id": -100,
        }
    )
    for r in range(REGIONS):
        org_rows.append(
            {
                "id": 2 + r,
                "key": f"region{r}",
                "level": "region",
                "name": f"区域{r}",
                "parent_id": 1,
                "next_ticket_number": 1,
                "active": True,
                "group_chat_id": -200 - r,
            }
        )
    project_ids = []
    for p in range(PROJECTS):
        pid = 100 + p
        project_ids.append(pid)
        org_rows.append(
            {
                "id": pid,
                "key": f"p{p:02d}",
                "level": "project",
                "name": f"项目{p:02d}",
                "parent_id": 2 + p % REGIONS,
                "project_kind": "residential",
                "ticket_prefix": f"P{chr(65 + p // 26)}{chr(65 + p % 26)}",
                "next_ticket_number": 1,
                "active": True,
                "group_chat_id": -1000 - p,
            }
        )
        building_rows.append(
            {"id": pid, "project_id": pid, "key": "1", "name": "1号楼", "active": True}
        )
        for u in range(UNITS_PER_PROJECT):
            unit_rows.append(
                {
                    "id": pid * 1000 + u,
                    "building_id": pid,
                    "key": f"{101 + u}",
                    "unit_kind": "apartment",
                    "active": True,
                }
            )
    person_id = 0
    staff_of: dict[int, list[int]] = {}
    for pid in project_ids:
        for _ in range(STAFF_PER_PROJECT):
            person_id += 1
            people.append(person(person_id, 1_000_000 + person_id, f"员工{person_id}"))
            staff_of.setdefault(pid, []).append(person_id)
            grants.append(
                {
                    "person_id": person_id,
                    "org_unit_id": pid,
                    "role": "agent",
                    "source": "config",
                    "active": True,
                }
            )
    first_resident = person_id + 1
    residence = []
    home: dict[int, int] = {}  # resident → project
    for i in range(RESIDENTS):
        person_id += 1
        people.append(person(person_id, 2_000_000 + person_id, f"住户{i}"))
        unit = cast(int, rng.choice(unit_rows)["id"])
        home[person_id] = unit // 1000
        residence.append(
            {"person_id": person_id, "property_unit_id": unit, "via": "code", "bound_at": NOW}
        )

    start = NOW - timedelta(days=DAYS)
    step = DAYS * 86_400 / tickets
    ticket_rows, event_rows, answer_rows, invitation_rows = [], [], [], []
    seq = dict.fromkeys(project_ids, 0)
    event_id = answer_id = 0
    for tid in range(1, tickets + 1):
        created = start + timedelta(seconds=(tid - 1) * step + rng.random() * step)
        pid = project_ids[
            min(int(rng.paretovariate(1.2)) - 1, PROJECTS - 1)
            if rng.random() < 0.3
            else rng.randrange(PROJECTS)
        ]
        seq[pid] += 1
        kind = rng.choice(KINDS)
        response_due = created + timedelta(hours=24 if kind != "repair" else 4)
        resolution_due = created + timedelta(hours=48 if kind != "repair" else 72)
        responded_at = created + timedelta(hours=rng.lognormvariate(0, 1.2))
        resolved_at = responded_at + timedelta(hours=rng.lognormvariate(2.8, 1.0))
        responded: datetime | None = responded_at
        resolved: datetime | None = resolved_at
        cancelled = rng.random() < 0.03
        reopened = 1 if rng.random() < 0.04 else 0
        status = "closed"
        if responded_at > NOW:
            responded, resolved, status = None, None, "new"
        elif resolved_at > NOW:
            resolved, status = (
                None,
                rng.choice(["acknowledged", "in_progress", "waiting_on_resident"]),
            )
        elif cancelled:
            resolved, status = None, "cancelled"
        elif resolved_at > NOW - timedelta(days=3):
            status = "resolved"
        paused = NOW - timedelta(hours=1) if status == "waiting_on_resident" else None
        response_level = resolution_level = 0
        events: list[tuple[datetime, str, dict[str, object] | None]] = [(created, "created", None)]
        if responded is None or responded > response_due:
            response_level = 1
            events.append((response_due, "escalated", {"ladder": "response", "level": 1}))
        if status not in ("cancelled",) and (
            (resolved is None and resolution_due < NOW) or (resolved and resolved > resolution_due)
        ):
            resolution_level = 1
            events.append((resolution_due, "escalated", {"ladder": "resolution", "level": 1}))
            if resolved is None or resolved > resolution_due + timedelta(hours=24):
                resolution_level = 2
                events.append(
                    (
                        resolution_due + timedelta(hours=24),
                        "escalated",
                        {"ladder": "resolution", "level": 2},
                    )
                )
        if resolved is not None:
            events.append((resolved, "status_changed", None))
        ticket_rows.append(
            {
                "id": tid,
                "number": f"T{tid:08d}",
                "project_id": pid,
                "seq": seq[pid],
                "kind": kind,
                "category_key": rng.choice(CATEGORIES),
                "urgent": False,
                "status": status,
                "resident_id": rng.randrange(first_resident, person_id + 1),
                "property_unit_id": pid * 1000 + rng.randrange(UNITS_PER_PROJECT)
                if rng.random() < 0.8
                else None,
                "description": "",
                "assignee_id": rng.choice(staff_of[pid]) if responded else None,
                "affected_count": 1,
                "reopen_count": reopened,
                "paused_seconds": 0,
                "created_at": created,
                "first_response_due_at": response_due,
                "resolution_due_at": resolution_due,
                "first_responded_at": responded,
                "resolved_at": resolved,
                "closed_at": resolved + timedelta(days=3)
                if status == "closed" and resolved
                else None,
                "paused_at": paused,
                "response_escalation_level": response_level,
                "resolution_escalation_level": resolution_level,
                "version": 1,
            }
        )
        for at, event_kind, data in events:
            event_id += 1
            event_rows.append(
                {
                    "id": event_id,
                    "ticket_id": tid,
                    "at": at,
                    "kind": event_kind,
                    "internal": event_kind == "escalated",
                    "data": data,
                }
            )
        if resolved is None:
            continue
        resident = ticket_rows[-1]["resident_id"]
        rated_at = None
        if rng.random() < 0.4:
            score = rng.choice(SCORES)
            rated_at = resolved + timedelta(hours=rng.uniform(0.5, 30))
            if rated_at < NOW:
                answer_id += 1
                answer_rows.append(
                    answer(
                        answer_id,
                        "rating",
                        rated_at,
                        ticket_id=tid,
                        person_id=resident,
                        score=score,
                    )
                )
                if score <= 2:
                    answer_id += 1
                    answer_rows.append(
                        answer(
                            answer_id,
                            "comment",
                            rated_at,
                            ticket_id=tid,
                            person_id=resident,
                            text="太慢了",
                        )
                    )
            else:
                rated_at = None
        invitation_rows.append(
            invitation("ticket", resident, pid, resolved, rated_at, ticket_id=tid)
        )
    # A questionnaire each quarter to a sample of residents; about half answer NPS.
    for quarter in range(CAMPAIGNS):
        sent = start + timedelta(days=quarter * DAYS / CAMPAIGNS)
        for resident in rng.sample(range(first_resident, person_id + 1), CAMPAIGN_SIZE):
            answered = None
            if rng.random() < 0.5:
                answered = sent + timedelta(days=rng.uniform(0, 7))
                answer_id += 1
                answer_rows.append(
                    answer(
                        answer_id,
                        "nps",
                        answered,
                        person_id=resident,
                        campaign_key=f"q{quarter}",
                        score=rng.randrange(11),
                    )
                )
            invitation_rows.append(
                invitation(
                    "campaign", resident, home[resident], sent, answered, campaign_key=f"q{quarter}"
                )
            )
    generated = time.perf_counter()
    print(
        f"generated {len(ticket_rows):,} tickets, {len(event_rows):,} events, "
        f"{len(answer_rows):,} survey answers, {len(invitation_rows):,} survey invitations "
        f"in {generated - started:.1f}s",
        flush=True,
    )
    async with engine.begin() as connection:
        await insert(connection, OrgUnit.__table__, org_rows)
        await insert(connection, Building.__table__, building_rows)
        await insert(connection, PropertyUnit.__table__, unit_rows)
        await insert(connection, Person.__table__, people)
        await insert(connection, ResidentUnit.__table__, residence)
        await insert(connection, StaffMembership.__table__, grants)
        for name, table, rows in (
            ("tickets", Ticket.__table__, ticket_rows),
            ("events", TicketEvent.__table__, event_rows),
            ("survey answers", SurveyResponse.__table__, answer_rows),
            ("survey invitations", SurveyInvitation.__table__, invitation_rows),
        ):
            began = time.perf_counter()
            await insert(connection, table, rows)
            print(
                f"inserted {len(rows):,} {name} in {time.perf_counter() - began:.1f}s", flush=True
            )
    async with engine.connect() as connection:
        if engine.dialect.name == "postgresql":
            await connection.execute(text("COMMIT"))
            await connection.execute(text("ANALYZE"))
        else:
            await connection.execute(text("ANALYZE"))
    print(f"filled in {time.perf_counter() - started:.1f}s", flush=True)


async def time_stats(sessionmaker, unit_key: str, org: Organisation, runs: int) -> dict:
    """The report's database work both ways in alternating runs: in one session, and in two
    read side by side (as the bot reads it: ``requests.report_in``); text and chart."""
    period = parse_period("30d", NOW, org.zone())
    db, db_cpu, lanes, render, chart = [], [], [], [], []
    async with sessionmaker() as session:
        unit = await session.scalar(select(OrgUnit).where(OrgUnit.key == unit_key))
        scope = await scope_of_unit(session, unit)
    for _ in range(runs):
        async with read_only_session(sessionmaker) as session:
            began, began_cpu = time.perf_counter(), time.process_time()
            report = await build_report(session, scope, period, NOW)
            db.append(time.perf_counter() - began)
            db_cpu.append(time.process_time() - began_cpu)
        async with read_only_sessions(sessionmaker, LANES) as (session, beside):
            began = time.perf_counter()
            report = await build_report(session, scope, period, NOW, beside=beside)
            lanes.append(time.perf_counter() - began)
        began = time.perf_counter()
        render_report(report, org, "zh_CN")
        rendered = time.perf_counter()
        render_chart(report, "zh_CN")
        render.append(rendered - began)
        chart.append(time.perf_counter() - rendered)
    return {
        "scope": unit_key,
        "opened": report.totals.opened,
        "db_best": min(db),
        "db_median": statistics.median(db),
        "db_cpu": statistics.median(db_cpu),
        "lanes_median": statistics.median(lanes),
        "text": statistics.median(render),
        "chart": statistics.median(chart),
        "total_median": statistics.median(
            a + b + c for a, b, c in zip(lanes, render, chart, strict=True)
        ),
    }


class UpdateProbe:
    """Plays "other updates" while a report runs: a small write transaction every 20 ms
    (the write lock an update takes) and the event loop's lag; keeps the worst delays."""

    def __init__(self, sessionmaker) -> None:
        self._sessionmaker = sessionmaker
        self.worst_write = 0.0
        self.worst_lag = 0.0
        self.writes = 0
        self._stop = asyncio.Event()

    async def _writes(self) -> None:
        while not self._stop.is_set():
            began = time.perf_counter()
            async with self._sessionmaker() as session, session.begin():
                await session.execute(update(Person).where(Person.id == 1).values(reachable=True))
            self.worst_write = max(self.worst_write, time.perf_counter() - began)
            self.writes += 1
            await asyncio.sleep(0.02)

    async def _lag(self) -> None:
        while not self._stop.is_set():
            began = time.perf_counter()
            await asyncio.sleep(0.01)
            self.worst_lag = max(self.worst_lag, time.perf_counter() - began - 0.01)

    async def around(self, work):
        tasks = [asyncio.create_task(self._writes()), asyncio.create_task(self._lag())]
        await asyncio.sleep(0.1)
        try:
            return await work
        finally:
            self._stop.set()
            await asyncio.gather(*tasks)


async def first_call(url: str, mode: str) -> dict:
    """One fresh process's first /stats 30d for HQ, timed with the probe around it."""
    engine = create_engine(url)
    sessionmaker = create_sessionmaker(engine)
    org = organisation()
    period = parse_period("30d", NOW, org.zone())
    if mode in ("warm", "warm-one"):  # as Application.start, then the bot serves
        warming = time.perf_counter()
        await asyncio.to_thread(warm_up)  # the chart library, in a worker thread
        if mode == "warm":  # and the report's statements compiled (STATS_WARM_UP)
            await stats_requests.warm_up(reading_from(sessionmaker), org.zone(), NOW)
        warmed_in = time.perf_counter() - warming
    else:
        warmed_in = 0.0

    async def report_read_only(lanes: int) -> float:
        began = time.perf_counter()
        async with read_only_sessions(sessionmaker, lanes) as (session, *beside):
            unit = await session.scalar(select(OrgUnit).where(OrgUnit.key == "hq"))
            assert unit is not None
            scope = await scope_of_unit(session, unit)
            report = await build_report(
                session, scope, period, NOW, beside=beside[0] if beside else None
            )
        render_report(report, org, "zh_CN")
        await asyncio.to_thread(render_chart, report, "zh_CN")
        return time.perf_counter() - began

    async def report_in_write_transaction() -> float:
        began = time.perf_counter()
        async with sessionmaker() as session, session.begin():
            await session.execute(update(Person).where(Person.id == 1).values(reachable=True))
            unit = await session.scalar(select(OrgUnit).where(OrgUnit.key == "hq"))
            assert unit is not None
            report = await build_report(session, await scope_of_unit(session, unit), period, NOW)
            render_report(report, org, "zh_CN")
            render_chart(report, "zh_CN")
        return time.perf_counter() - began

    probe = UpdateProbe(sessionmaker)
    if mode == "before":
        work = report_in_write_transaction()
    else:
        work = report_read_only(1 if mode == "warm-one" else LANES)
    try:
        took = await probe.around(work)
    finally:
        await engine.dispose()
    return {
        "mode": mode,
        "warm_up": warmed_in,
        "report": took,
        "worst_write": probe.worst_write,
        "worst_lag": probe.worst_lag,
        "writes": probe.writes,
    }


def first_calls(url: str) -> None:
    import json
    import subprocess

    print(
        "\nFirst /stats 30d (HQ) of a fresh process, other updates timed meanwhile "
        "(a write transaction every 20 ms; the event loop's lag):"
    )
    print(f"{'how':<44} {'report':>8} {'worst update':>13} {'loop lag':>9} {'warm-up':>8}")
    labels = {
        "warm": "two sessions, chart and statements warmed",
        "warm-one": "one session, chart warmed (stop 36)",
        "cold": "two sessions, nothing warmed",
        "before": "inside a write transaction (as before)",
    }
    for mode in ("warm", "warm-one", "cold", "before"):
        out = subprocess.run(
            [sys.executable, __file__, "--url", url, "--first-call", mode],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        result = json.loads(out.strip().splitlines()[-1])
        worst, lag = result["worst_write"] * 1000, result["worst_lag"] * 1000
        print(
            f"{labels[mode]:<44} {result['report']:>7.3f}s {worst:>10.0f} ms "
            f"{lag:>6.0f} ms {result['warm_up']:>7.2f}s"
        )
    print("targets: report < 1 s on the first call; no update delayed by more than 100 ms")


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--url", default=os.environ.get("STATS_BENCH_URL", DEFAULT_URL))
    parser.add_argument("--tickets", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--refill", action="store_true", help="drop and fill again")
    parser.add_argument("--skip-first-call", action="store_true")
    parser.add_argument(
        "--first-call", choices=("warm", "warm-one", "cold", "before"), help=argparse.SUPPRESS
    )
    args = parser.parse_args()
    if args.first_call:
        import json

        print(json.dumps(await first_call(args.url, args.first_call)))
        return
    if not is_sqlite_url(args.url):
        await ensure_postgres_database(args.url)
    engine = create_engine(args.url)
    try:
        filled = 0
        if not args.refill:
            try:
                async with engine.connect() as connection:
                    filled = await connection.scalar(select(func.count()).select_from(Ticket)) or 0
                    # Every table and column of the current models must be there (the
                    # schema moves while the project is young): else fill again.
                    for table in Base.metadata.sorted_tables:
                        await connection.execute(select(*table.columns).limit(1))
            except Exception:
                filled = 0
        if filled != args.tickets:
            await reset_schema(engine)
            await fill(engine, args.tickets)
        else:
            print(f"reusing the filled database ({filled:,} tickets)")
        sessionmaker = create_sessionmaker(engine)
        org = organisation()
        print(
            f"\n/stats 30d on {engine.dialect.name} ({args.tickets:,} tickets, "
            f"median of {args.runs} runs after one warm-up; load average "
            f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs)"
        )
        print(
            f"{'scope':<8} {'opened':>7} {'db best':>9} {'db median':>10} {'db cpu':>8} "
            f"{'2 lanes':>8} {'text':>7} {'chart':>7} {'total':>7}"
        )
        for key in ("hq", "p07"):
            await time_stats(sessionmaker, key, org, 1)  # warm caches and imports
            result = await time_stats(sessionmaker, key, org, args.runs)
            print(
                f"{result['scope']:<8} {result['opened']:>7,} {result['db_best']:>8.3f}s "
                f"{result['db_median']:>9.3f}s {result['db_cpu']:>7.3f}s "
                f"{result['lanes_median']:>7.3f}s {result['text']:>6.3f}s "
                f"{result['chart']:>6.3f}s {result['total_median']:>6.3f}s"
            )
        print("db = every metric query of the report (daily series included) in one session,")
        print("wall time; db cpu = CPU of this process meanwhile (SQLite runs in it;")
        print("PostgreSQL does not); 2 lanes = the same in two sessions side by side, as the bot")
        print("reads it; total = 2 lanes + text + chart (labelled in English when no CJK font")
        print("is installed)")
    finally:
        await engine.dispose()
    if not args.skip_first_call:
        first_calls(args.url)


if __name__ == "__main__":
    asyncio.run(main())
