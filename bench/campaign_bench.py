"""Benchmark: a satisfaction-survey campaign to 10,000 residents through the fake Bot API.

Runs the real Application (real clock, production poll intervals) against the
fake Telegram server with Telegram's flood limits enforced (30 messages/s per
bot, 1/s per private chat, 20/min per group: answered with 429 when exceeded).
10,000 residents bound to units of one project are seeded; the project manager
sends ``/survey start sunshine``; the benchmark waits until every invitation is
delivered and reports the achieved send rate against the limits and the number
of 429 answers (the target is zero). Half-way through, a ticket notification is
queued for the staff group and a resident starts the survey, to show that the
campaign leaves room for everything else.

    .venv/bin/python bench/campaign_bench.py                       # SQLite in a temp dir
    .venv/bin/python bench/campaign_bench.py --residents 2000      # quicker
    .venv/bin/python bench/campaign_bench.py --url postgresql+asyncpg://postgres@127.0.0.1:5432/rsb_campaign_bench
    .venv/bin/python bench/campaign_bench.py --latency-ms 100      # a real network's latency
    .venv/bin/python bench/campaign_bench.py --paid                # paid broadcasts (1000/s)

A PostgreSQL database given by --url is dropped and created afresh.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

from cryptography.fernet import Fernet
from sqlalchemy import func, select

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.postgres import recreate_postgres
from bot.app.application import Application
from bot.config.settings import Settings
from bot.presentation import outbox
from fake_telegram import FakeTelegramServer
from fake_telegram.rate_limits import GLOBAL_LIMIT, PRIVATE_LIMIT
from storage.models import (
    Building,
    OrgUnit,
    OutboxMessage,
    Person,
    PropertyUnit,
    ResidentUnit,
    SurveyInvitation,
)
from storage.models.base import table_of

ROOT = Path(__file__).resolve().parents[1]
TOKEN = "123456:BENCH-TOKEN-abcdefghijklmnopqrstuvwxyz"
ORG_FILE = ROOT / "tests" / "fixtures" / "organisation.toml"
GROUPS = {
    -1009000000001: "总部工作群",
    -1009000000010: "华东区域中心",
    -1009000000100: "阳光花园项目部",
    -1009000000200: "星河广场项目部",
}
SUNSHINE_GROUP = -1009000000100
MANAGER = 5002
FIRST_RESIDENT = 20_000_001
SUNSHINE_UNITS = (  # the ids of the sunshine project's units
    select(PropertyUnit.id)
    .join(Building, Building.id == PropertyUnit.building_id)
    .join(OrgUnit, OrgUnit.id == Building.project_id)
    .where(OrgUnit.key == "sunshine")
)


async def seed_residents(app: Application, server: FakeTelegramServer, count: int) -> None:
    """``count`` registered residents bound to the units of the sunshine project."""
    assert app.sessionmaker is not None
    now = app.clock.now()
    async with app.sessionmaker() as session, session.begin():
        units = (await session.scalars(SUNSHINE_UNITS)).all()
        ids = range(FIRST_RESIDENT, FIRST_RESIDENT + count)
        for start in range(0, count, 1000):
            chunk = ids[start : start + 1000]
            await session.execute(
                table_of(Person).insert(),
                [
                    {
                        "telegram_id": tid,
                        "full_name": f"Resident {tid}",
                        "language": "en" if tid % 3 == 0 else None,
                        "telegram_language": "en" if tid % 3 == 0 else "zh-hans",
                        "created_at": now,
                        "reachable": True,
                        "consent_version": "1",
                        "consented_at": now,
                    }
                    for tid in chunk
                ],
            )
        people = (
            await session.execute(
                select(Person.id, Person.telegram_id).where(Person.telegram_id >= FIRST_RESIDENT)
            )
        ).all()
        for start in range(0, len(people), 1000):
            await session.execute(
                table_of(ResidentUnit).insert(),
                [
                    {
                        "person_id": person_id,
                        "property_unit_id": units[i % len(units)],
                        "via": "code",
                        "bound_at": now,
                    }
                    for i, (person_id, _) in enumerate(people[start : start + 1000], start)
                ],
            )
    for tid in range(FIRST_RESIDENT, FIRST_RESIDENT + count):
        server.state.register_user_id(tid)


def is_invitation(call) -> bool:
    chat_id = call.params.get("chat_id")
    return (
        call.ok
        and isinstance(chat_id, int)
        and chat_id >= FIRST_RESIDENT
        and "sv:go:" in str(call.params.get("reply_markup"))
    )


class Progress:
    """Invitations delivered so far, counted incrementally (the benchmark shares the
    event loop with the bot and the fake server: rescanning everything would stall it)."""

    def __init__(self, server: FakeTelegramServer) -> None:
        self._server = server
        self._seen = 0
        self.sent: list = []

    def update(self) -> list:
        calls = self._server.calls_of("sendMessage")
        self.sent.extend(call for call in calls[self._seen :] if is_invitation(call))
        self._seen = len(calls)
        return self.sent


def peak_per_second(times: list[float]) -> int:
    """The most sends within any one-second window."""
    peak, start = 0, 0
    for end, at in enumerate(times):
        while at - times[start] >= 1.0:
            start += 1
        peak = max(peak, end - start + 1)
    return peak


async def run(residents: int, url: str | None, latency_ms: float = 0.0, paid: bool = False) -> int:
    logging.basicConfig(level=logging.WARNING)
    workdir = Path(tempfile.mkdtemp(prefix="campaign-bench-"))
    if url:
        await recreate_postgres(url)
    database_url = url or f"sqlite+aiosqlite:///{workdir / 'bench.sqlite3'}"
    server = FakeTelegramServer(
        token=TOKEN, enforce_rate_limits=True, response_delay=latency_ms / 1000
    )
    await server.start()
    for chat_id, title in GROUPS.items():
        server.add_group(chat_id, title)
    settings = Settings(
        _env_file=None,
        bot_token=TOKEN,
        database_url=database_url,
        telegram_api_url=server.base_url,
        bot_config=ORG_FILE,
        data_encryption_key=Fernet.generate_key().decode(),
        log_level="WARNING",
        polling_timeout=1,
        paid_broadcast=paid,
    )
    app = Application(settings)
    await app.start()
    try:
        started = time.monotonic()
        await seed_residents(app, server, residents)
        print(
            f"database: {'PostgreSQL' if url else 'SQLite'}; seeded {residents:,} residents "
            f"in {time.monotonic() - started:.1f} s; Bot API latency {latency_ms:g} ms; "
            f"paid broadcasts {'on' if paid else 'off'}"
        )

        manager = server.user(id=MANAGER, first_name="李强", language_code="en")
        mark = server.mark()
        command_at = time.monotonic()
        server.send_text(manager, "/survey start sunshine")
        reply = await server.wait_for("sendMessage", chat_id=MANAGER, since=mark, timeout=300)
        queued_in = time.monotonic() - command_at
        print(f"/survey start answered in {queued_in:.1f} s: {reply.params['text'][:90]}…")

        probe: dict[str, float] = {}
        progress = Progress(server)
        last_report = time.monotonic()
        deadline = time.monotonic() + residents / 5 + 120
        while True:
            sent = progress.update()
            if len(sent) >= residents or time.monotonic() > deadline:
                break
            if len(sent) >= residents // 2 and not probe:
                probe = await mid_campaign_probe(app, server, sent)
            if time.monotonic() - last_report >= 15:
                last_report = time.monotonic()
                print(f"  … {len(sent):,} of {residents:,} delivered")
            await asyncio.sleep(0.5)
        if probe:
            await finish_probe(server, probe)
        return await report(app, server, progress.update(), residents, queued_in, probe)
    finally:
        await app.stop()
        await server.stop()


async def mid_campaign_probe(app: Application, server: FakeTelegramServer, sent: list) -> dict:
    """Half-way: a staff-group notification through the outbox, and a resident starting."""
    assert app.sessionmaker is not None and app.sender is not None
    async with app.sessionmaker() as session, session.begin():
        await outbox.enqueue_text(
            session, chat_id=SUNSHINE_GROUP, text="bench: a new ticket card", now=app.clock.now()
        )
    app.sender.wake()
    first = sent[0]
    resident = server.state.users[first.params["chat_id"]]
    mark = server.mark()
    server.press(
        resident,
        first.response["result"],
        data=first.params["reply_markup"]["inline_keyboard"][0][0]["callback_data"],
    )
    return {"at": time.monotonic(), "mark": mark, "resident": resident.id}


async def finish_probe(server: FakeTelegramServer, probe: dict) -> None:
    card = await server.wait_for(
        "sendMessage", chat_id=SUNSHINE_GROUP, since=probe["mark"], timeout=60
    )
    question = await server.wait_for(
        "sendMessage",
        lambda c: "1 of 3" in c.params.get("text", "") or "第 1 题" in c.params.get("text", ""),
        chat_id=probe["resident"],
        since=probe["mark"],
        timeout=60,
    )
    probe["card_latency"] = card.at - probe["at"]
    probe["question_latency"] = question.at - probe["at"]


async def report(
    app: Application,
    server: FakeTelegramServer,
    sent: list,
    residents: int,
    queued_in: float,
    probe: dict,
) -> int:
    assert app.sessionmaker is not None
    times = sorted(call.at for call in sent)
    per_chat = Counter(call.params["chat_id"] for call in sent)
    all_sends = sorted(c.at for c in server.calls if c.ok and c.method.startswith("send"))
    async with app.sessionmaker() as session:
        statuses = dict(
            (str(status), n)
            for status, n in await session.execute(
                select(OutboxMessage.status, func.count()).group_by(OutboxMessage.status)
            )
        )
        invited = await session.scalar(select(func.count()).select_from(SurveyInvitation))
    span = times[-1] - times[0] if len(times) > 1 else 0.0
    rate = (len(times) - 1) / span if span else 0.0
    print()
    print(f"Campaign to {residents:,} residents ({invited:,} invitations recorded)")
    print(f"  delivered:          {len(sent):,} invitations in {span:.1f} s")
    print(
        f"  achieved rate:      {rate:.1f} messages/s (target ≥ 28.5; "
        f"Telegram limit ~{GLOBAL_LIMIT.per_second:g}/s per bot)"
    )
    print(
        f"  peak, any 1 s:      {peak_per_second(times)} invitations, "
        f"{peak_per_second(all_sends)} sends of any kind (limit {GLOBAL_LIMIT.per_second:g}, "
        f"burst {GLOBAL_LIMIT.burst:g})"
    )
    print(
        f"  per resident chat:  at most {max(per_chat.values()) if per_chat else 0} message "
        f"(limit {PRIVATE_LIMIT.per_second:g}/s per chat)"
    )
    print(
        f"  429 Too Many Requests: {server.stats['rate_limited']}   "
        f"other errors: {server.stats['errors'] - server.stats['rate_limited']}"
    )
    print(f"  outbox rows:        {statuses}")
    print(f"  queueing (/survey start → reply): {queued_in:.1f} s")
    if "card_latency" in probe:
        print(
            f"  mid-campaign: staff-group notification delivered after "
            f"{probe['card_latency']:.2f} s; a resident's first question after "
            f"{probe['question_latency']:.2f} s"
        )
    ok = len(sent) == residents and server.stats["rate_limited"] == 0
    print("RESULT:", "OK" if ok else "FAILED")
    return 0 if ok else 1


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--residents", type=int, default=10_000)
    parser.add_argument("--url", help="a PostgreSQL URL (the database is recreated)")
    parser.add_argument("--latency-ms", type=float, default=0.0, help="Bot API answers this late")
    parser.add_argument("--paid", action="store_true", help="PAID_BROADCAST=true (up to 1000/s)")
    args = parser.parse_args()
    raise SystemExit(asyncio.run(run(args.residents, args.url, args.latency_ms, args.paid)))


if __name__ == "__main__":
    main()
