"""SQLite: a transaction's ``BEGIN`` in a trip to the connection's thread of its own, or
with the transaction's first statement (``storage/sqlite_one_hop.py``).

Every SQLite statement is a trip from the event loop to the connection's thread and
back (a queue, a wake-up of the thread, a wake-up of the loop). ``BEGIN IMMEDIATE``
used to be one more such trip, sent by SQLAlchemy as a statement of its own at the
start of every transaction: an update's, the poller's, the claim's, the sender's.
Measured here in alternating rounds, both ways, on two transactions:

- *one read*: the update's first statement (the sender and their conversation) alone;
- *an update's shape*: that read, the conversation written, the inbox row's conditional
  "done" mark: three statements, as a menu press costs.

Prints this process's CPU µs per transaction (SQLite's engine runs in it, on the
connection's thread) and the trips to that thread per transaction.

    .venv/bin/python -m bench.sqlite_begin_bench [--transactions 3000] [--rounds 3]
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiosqlite
from sqlalchemy import bindparam, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

import storage.db
from bench.sender_bench import FIRST_ID, PEOPLE, _fill, _key
from bot.services.people import load_sender
from storage.crypto import configure_cipher, generate_key
from storage.db import create_engine, create_sessionmaker
from storage.models import Base, FsmRecord, InboundStatus, InboundUpdate

Transaction = Callable[[int], Awaitable[None]]


def _transactions(sessionmaker: async_sessionmaker[AsyncSession]) -> dict[str, Transaction]:
    conversation = (
        update(FsmRecord)
        .where(FsmRecord.key == bindparam("k"))
        .values(state="Filing:description", updated_at=bindparam("at"))
    )
    done = (
        update(InboundUpdate)
        .where(InboundUpdate.update_id == bindparam("u"))
        .values(status=InboundStatus.DONE, processed_at=bindparam("at"))
    )

    async def one_read(n: int) -> None:
        async with sessionmaker() as session, session.begin():
            await load_sender(session, FIRST_ID + n % PEOPLE, _key(n % PEOPLE))

    async def update_shape(n: int) -> None:
        now = datetime.now(UTC)
        async with sessionmaker() as session, session.begin():
            await load_sender(session, FIRST_ID + n % PEOPLE, _key(n % PEOPLE))
            await session.execute(conversation, {"k": _key(n % PEOPLE), "at": now})
            await session.execute(done, {"u": n, "at": now})

    return {"one read": one_read, "an update's shape": update_shape}


def _own_trip(connection: Any, begin: str) -> None:
    """The way before: ``BEGIN`` sent by SQLAlchemy as a statement, a trip of its own."""
    connection.exec_driver_sql(begin)


class _Trips:
    """Counts the calls queued for connections' threads (each one a trip)."""

    def __init__(self) -> None:
        self.count = 0
        real = aiosqlite.Connection._execute

        async def counted(connection: Any, fn: Any, *args: Any, **kwargs: Any) -> Any:
            self.count += 1
            return await real(connection, fn, *args, **kwargs)

        aiosqlite.Connection._execute = counted  # type: ignore[method-assign,assignment]


async def run(transactions: int, rounds: int) -> None:
    configure_cipher([generate_key()])
    url = f"sqlite+aiosqlite:///{Path(tempfile.mkdtemp()) / 'begin.sqlite3'}"
    engine = create_engine(url)
    with_first = storage.db._begin
    ways = {"BEGIN on its own trip": _own_trip, "BEGIN with the first statement": with_first}
    trips = _Trips()
    try:
        async with engine.begin() as connection:
            await connection.run_sync(Base.metadata.create_all)
        sessionmaker = create_sessionmaker(engine)
        await _fill(sessionmaker)
        async with sessionmaker() as session, session.begin():
            session.add_all(
                InboundUpdate(
                    update_id=n,
                    payload={},
                    chat_key="bench",
                    status=InboundStatus.PENDING,
                    received_at=datetime.now(UTC),
                    available_at=datetime.now(UTC),
                )
                for n in range(transactions)
            )
        cpu: dict[tuple[str, str], list[float]] = {}
        trips_per: dict[tuple[str, str], float] = {}
        for _ in range(rounds):
            for way_name, way in ways.items():
                storage.db._begin = way  # the engine's begin event looks it up each time
                for name, transaction in _transactions(sessionmaker).items():
                    for n in range(200):  # warm: statement caches, the pool
                        await transaction(n)
                    trips.count = 0
                    started = time.process_time()
                    for n in range(transactions):
                        await transaction(n)
                    cpu_us = (time.process_time() - started) / transactions * 1e6
                    cpu.setdefault((name, way_name), []).append(cpu_us)
                    trips_per[(name, way_name)] = trips.count / transactions
        storage.db._begin = with_first
        print(f"SQLite transactions, {transactions} a round, {rounds} rounds (CPU µs each)")
        for (name, way_name), spent in cpu.items():
            figures = ", ".join(f"{s:.0f}" for s in spent)
            print(
                f"{name:<18} {way_name:<31} {figures} (best {min(spent):.0f}); "
                f"{trips_per[(name, way_name)]:.1f} trips"
            )
    finally:
        storage.db._begin = with_first
        await engine.dispose()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.sqlite_begin_bench", description=__doc__)
    parser.add_argument("--transactions", type=int, default=3000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args(argv)
    asyncio.run(run(args.transactions, args.rounds))


if __name__ == "__main__":
    main()
