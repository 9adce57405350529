"""Reading an update's sender: the CPU the bot's process spends on it, per update.

Every update starts by reading who sent it (the person, their roles) and the
conversation they are in (aiogram's FSM record). Measured here in a transaction of its
own, as the update's begins: two statements (the sender, then the conversation, as
before ``people.load_sender``) against one (``load_sender``: the conversation joined to
the sender's statement). "Two statements" runs today's sender statement without a
conversation key (its outer join to the conversation matches nothing), then the
conversation as ``storage.fsm`` reads it: near enough to the code before, not that code
itself. 100 registered people with a conversation each, taken in turn;
the rounds alternate. Prints CPU µs per update (this process's CPU: the database
server's is not in it).

    .venv/bin/python -m bench.sender_bench [--db sqlite|postgres] [--updates 3000]
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import bindparam, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bench.postgres import drop_postgres, recreate_postgres
from bot.services.people import load_actor, load_sender
from storage.crypto import configure_cipher, generate_key
from storage.db import create_engine, create_sessionmaker
from storage.models import Base, FsmRecord, Person

POSTGRES_URL = "postgresql+asyncpg://postgres@127.0.0.1:5432/rsb_sender_bench"
PEOPLE = 100
FIRST_ID = 1000


def _key(n: int) -> str:
    return f"bot:{FIRST_ID + n}:{FIRST_ID + n}"


async def _fill(sessionmaker: async_sessionmaker[AsyncSession]) -> None:
    now = datetime.now(UTC)
    async with sessionmaker() as session, session.begin():
        for n in range(PEOPLE):
            session.add(
                Person(
                    telegram_id=FIRST_ID + n,
                    full_name=f"住户{n}",
                    phone=f"+86139{n:08d}",
                    created_at=now,
                    reachable=True,
                    consent_version="1",
                    consented_at=now,
                )
            )
            session.add(FsmRecord(key=_key(n), state="Filing:place", data={"n": n}, updated_at=now))


def _ways(
    sessionmaker: async_sessionmaker[AsyncSession],
) -> dict[str, Callable[[int], Awaitable[None]]]:
    # Built once, as ``storage.fsm`` builds its own.
    conversation = select(FsmRecord.state, FsmRecord.data).where(FsmRecord.key == bindparam("k"))

    async def two_statements(n: int) -> None:
        async with sessionmaker() as session, session.begin():
            await load_actor(session, FIRST_ID + n)
            (await session.execute(conversation, {"k": _key(n)})).first()

    async def one_statement(n: int) -> None:
        async with sessionmaker() as session, session.begin():
            await load_sender(session, FIRST_ID + n, _key(n))

    return {"two statements": two_statements, "one statement": one_statement}


async def run(db: str, updates: int, rounds: int) -> None:
    configure_cipher([generate_key()])
    if db == "postgres":
        url = POSTGRES_URL
        await recreate_postgres(url)
    else:
        url = f"sqlite+aiosqlite:///{Path(tempfile.mkdtemp()) / 'sender.sqlite3'}"
    engine = create_engine(url)
    try:
        async with engine.begin() as connection:
            await connection.run_sync(Base.metadata.create_all)
        sessionmaker = create_sessionmaker(engine)
        await _fill(sessionmaker)
        results: dict[str, list[float]] = {}
        for _ in range(rounds):
            for name, way in _ways(sessionmaker).items():
                for n in range(200):  # warm: statement caches, prepared statements
                    await way(n % PEOPLE)
                started = time.process_time()
                for n in range(updates):
                    await way(n % PEOPLE)
                spent = (time.process_time() - started) / updates * 1e6
                results.setdefault(name, []).append(spent)
        print(f"reading the sender on {db}, {updates} updates a round, {rounds} rounds")
        for name, rounds_spent in results.items():
            figures = ", ".join(f"{s:.0f}" for s in rounds_spent)
            print(f"{name:<16} CPU µs per update: {figures} (best {min(rounds_spent):.0f})")
    finally:
        await engine.dispose()
        if db == "postgres":
            await drop_postgres(url)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.sender_bench", description=__doc__)
    parser.add_argument("--db", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--updates", type=int, default=3000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args(argv)
    asyncio.run(run(args.db, args.updates, args.rounds))


if __name__ == "__main__":
    main()
