"""Load benchmark: the real bot against a bare aiogram echo bot, on the same updates.

    .venv/bin/python -m bench.load --db sqlite --latency-ms 100
    .venv/bin/python -m bench.load --db postgres --seconds 60      # longer phases
    .venv/bin/python -m bench.load --db postgres --webhook-instances 2  # a fleet of two

Starts the fake Bot API in this process, every answer held back ``--latency-ms`` (a
real network), and the bot as a separate process (``resident-bot run`` through
``bench/bot_process.py``, which counts SQL statements) on a fresh database (SQLite in a
temporary folder, or a throwaway PostgreSQL database at 127.0.0.1:5432, dropped at the
end). 100 residents register through the bot (/start, consent, name, own phone; then
bound to a unit behind the bot's back), 10 agents come from the organisation file. Then
two phases of ``--seconds`` each:

1. closed loop (max throughput): every resident and agent acts again as soon as the
   bot answered; a mix of filing the whole flow (repair: category, place, description,
   no photos, urgency, submit), My tickets, /tickets, profile, /help, free text; agents
   take the new tickets from their cards;
2. open loop at half the rate reached (or at ``--rate``, the same for both bots: to
   compare two versions' latency, which half of each one's maximum would not): actions
   offered at that rate, latency = update offered → the bot's first answer in that chat
   (or to that button press); each step then waits for the answer it expects (the list
   for My tickets, the next question while filing) before the resident acts again. The
   time to that answer, the last message of the reply, is printed too ("to the whole
   answer", this bot only: the echo bot's answer is one message).

With ``--webhook-instances N`` the bot runs as N ``resident-bot webhook`` processes on one
database (PostgreSQL for N > 1), and the fake Bot API delivers each update to them in
turn (32 deliveries at once, a chat's updates in order); their CPU seconds, statements
and GC time are summed, the peak RSS is the largest one's.

Then a bare aiogram 3 echo bot (``bench/echo_bot.py``) gets the updates of phase 1
replayed, in the same two phases. For both it prints updates/s, CPU ms per update (CPU
seconds of the bot process from /proc), p50/p95/p99 latency at half of max rate, SQL
statements per update and peak RSS (VmHWM), and the ratios. Figures, not assertions.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import copy
import os
import random
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cryptography.fernet import Fernet
from sqlalchemy import select

from bench.campaign_bench import GROUPS, ORG_FILE, ROOT, SUNSHINE_GROUP, SUNSHINE_UNITS
from bench.postgres import drop_abandoned, drop_postgres, recreate_postgres
from fake_telegram import FakeTelegramServer, FakeUser
from fake_telegram.models import ApiCall
from fake_telegram.webhook_delivery import WebhookDelivery
from storage.db import create_engine
from storage.models import Person, ResidentUnit
from storage.models.base import table_of

TOKEN = "123456:LOAD-BENCH-abcdefghijklmnopqrstuvwxyz"
WEBHOOK_SECRET = "load-bench-webhook-secret"
POSTGRES_ADMIN = "postgresql+asyncpg://postgres@127.0.0.1:5432"
# Each run's database is named with its process id (what a later run cleans up after).
DATABASE_PREFIX = "rsb_load_"
FIRST_RESIDENT, FIRST_AGENT = 40_000_001, 6001
ANSWERS = ("sendMessage", "editMessageText", "answerCallbackQuery", "sendPhoto")
FREE_TEXTS = (
    "When is the water back on?",
    "Thank you for fixing the lift",
    "The corridor light on floor 3 flickers",
    "hello",
)
ANSWER_TIMEOUT = 60.0
DESCRIPTIONS = ("The kitchen tap drips all night", "Water under the sink again", "No hot water")


def has_buttons(call: ApiCall) -> bool:
    markup = call.params.get("reply_markup")
    return isinstance(markup, dict) and bool(markup.get("inline_keyboard"))


def buttons(call: ApiCall) -> list[dict[str, Any]]:
    markup = call.params.get("reply_markup") or {}
    return [button for row in markup.get("inline_keyboard", []) for button in row]


def filing_buttons(call: ApiCall | None) -> list[dict[str, Any]]:
    """The buttons of a filing step (``rf:``): a message that has none is not the step the
    resident expects (another answer came first), and is left alone."""
    if call is None:
        return []
    return [b for b in buttons(call) if str(b.get("callback_data", "")).startswith("rf:")]


@dataclass
class Tally:
    updates: int = 0
    failures: int = 0
    latencies: list[float] = field(default_factory=list)
    # To the answer a step waits for, the last message of the reply (this bot only).
    whole: list[float] = field(default_factory=list)
    missed: list[str] = field(default_factory=list)  # what each failure was


def _what(update: dict[str, Any]) -> str:
    """An update in a few words, for the list of actions left without their answer."""
    if "callback_query" in update:
        return f"press {update['callback_query'].get('data')!r}"
    message = update.get("message") or {}
    return repr(message.get("text") or ("contact" if "contact" in message else "a message"))


_Answer = asyncio.Future[ApiCall]


class Driver:
    """Offers updates and notices the bot's answers (a listener on the fake's call log)."""

    def __init__(self, server: FakeTelegramServer, *, polled: bool = True) -> None:
        self.server = server
        # The bot takes its updates with getUpdates (not webhook deliveries, which the
        # fake does not hold back): see ``_after``.
        self.polled = polled
        self.first: dict[Any, list[tuple[float, asyncio.Future[float]]]] = defaultdict(list)
        # Per chat (or press): when the update was offered, what answer it waits for.
        self.waiters: dict[Any, list[tuple[float, Callable[[ApiCall], bool], _Answer]]]
        self.waiters = defaultdict(list)
        self.recorded: list[dict[str, Any]] = []
        self.recording = False
        self.cards: list[ApiCall] = []
        self.last: dict[Any, ApiCall] = {}  # the latest answer in each chat
        server.recorder.listeners.append(self._heard)

    def _heard(self, call: ApiCall) -> None:
        if call.method not in ANSWERS:
            return
        keys: list[Any] = []
        if call.method == "answerCallbackQuery":
            keys.append(("cb", call.params.get("callback_query_id")))
        else:
            keys.append(call.params.get("chat_id"))
            if call.params.get("chat_id") == SUNSHINE_GROUP and "tk:take:" in str(
                call.params.get("reply_markup")
            ):
                self.cards.append(call)
        for key in keys:
            self.last[key] = call
            waiting = self.first.pop(key, [])
            for offered, first in waiting:
                if not self._after(offered, call):
                    self.first[key].append((offered, first))
                elif not first.done():
                    first.set_result(call.at)
            for waiter in list(self.waiters.get(key, [])):
                offered, wanted, answer = waiter
                if self._after(offered, call) and wanted(call) and not answer.done():
                    self.waiters[key].remove(waiter)
                    answer.set_result(call)

    def _after(self, offered: float, call: ApiCall) -> bool:
        """Whether ``call`` can answer an update offered at ``offered``: the bot gets an
        update with a ``getUpdates`` answer, which the fake holds back ``response_delay``,
        so a call made before then belongs to an earlier update (the second message of
        an answer in two, the first of which ended the previous action)."""
        if not self.polled:
            return True
        return call.at >= offered + self.server.response_delay

    async def step(
        self,
        tally: Tally,
        key: Any,
        push: Callable[[], dict[str, Any]],
        expect: Callable[[ApiCall], bool] | None = None,
    ) -> ApiCall | None:
        """Offer one update (``push``); its latency is to the first answer (a message in
        the chat, or the press's ``answerCallbackQuery``); the step ends at the answer
        ``expect`` accepts, which it returns.

        Each step names the answer it waits for, the last message of the bot's reply: a
        driver that went on at the first message would meet the reply's second one in
        its next step, take it for that step's answer, and act on the wrong message from
        then on (pressing a common area's button as "No photos", say)."""
        loop = asyncio.get_running_loop()
        first: asyncio.Future[float] = loop.create_future()
        wanted: asyncio.Future[ApiCall] = loop.create_future()
        offered = time.monotonic()
        update = push()
        if "callback_query" in update:
            callback_key = ("cb", update["callback_query"]["id"])
            self.first[callback_key].append((offered, first))
            if key == callback_key:
                key = None
        if key is not None:
            self.first[key].append((offered, first))
        if expect is not None:
            self.waiters[key].append((offered, expect, wanted))
            if "callback_query" in update:
                # A press the bot refuses (a stale button: the script pressed on after the
                # conversation moved on) is answered by an alert alone: the action ends.
                self.waiters[callback_key].append((offered, _refused, wanted))
        if self.recording:
            self.recorded.append(
                copy.deepcopy({k: v for k, v in update.items() if k != "update_id"})
            )
        try:
            answered = await asyncio.wait_for(first, ANSWER_TIMEOUT)
            tally.latencies.append(answered - offered)
            tally.updates += 1
            if expect is not None:
                answer = await asyncio.wait_for(wanted, ANSWER_TIMEOUT)
                if _refused(answer):
                    return None
                tally.whole.append(answer.at - offered)
                return answer
        except TimeoutError:
            tally.failures += 1
            if first.done() and (last := self.last.get(key)) is not None:
                said = str(last.params.get("text") or last.params.get("caption") or "")[:100]
                how = f"an answer ({last.method} {said!r}), not the one expected,"
            else:
                how = "no answer"
            tally.missed.append(f"{how} to {_what(update)} in chat {key}")
        finally:
            self._forget(wanted)
        return None

    def _forget(self, wanted: asyncio.Future[ApiCall]) -> None:
        """Drop the waiters of one step, answered or not."""
        for key, waiting in list(self.waiters.items()):
            waiting[:] = [waiter for waiter in waiting if waiter[2] is not wanted]
            if not waiting:
                del self.waiters[key]


class Resident:
    def __init__(self, driver: Driver, user: FakeUser, rng: random.Random) -> None:
        self.driver, self.user, self.rng = driver, user, rng
        self.server = driver.server

    def say(self, text: str) -> Callable[[], dict[str, Any]]:
        return lambda: self.server.send_text(self.user, text)

    def press(self, call: ApiCall, button: dict[str, Any]) -> Callable[[], dict[str, Any]]:
        message = call.result if isinstance(call.result, dict) else {}
        return lambda: self.server.press_raw(
            self.user, self.user.id, int(message.get("message_id", 1)), button["callback_data"]
        )

    async def register(self, tally: Tally) -> bool:
        step, me = self.driver.step, self.user.id
        notice = await step(tally, me, self.say("/start"), has_buttons)
        if notice is None:
            return False
        agree = next((b for b in buttons(notice) if "agree" in b["text"].lower()), None)
        if agree is None:
            return False
        await step(tally, me, self.press(notice, agree), says("your name"))
        await step(tally, me, self.say(self.user.first_name), says("phone number"))
        done = await step(
            tally,
            me,
            lambda: self.server.send_contact(self.user, phone_number=f"861391{me % 100_000:05d}"),
            asks_unit,  # the last message of the answer: "Now tell me which unit …"
        )
        return done is not None

    async def act(self, tally: Tally) -> None:
        action = self.rng.choices(
            (self.file, self.my_tickets, self.tickets, self.profile, self.help, self.free_text),
            weights=(2, 2, 1, 1, 1, 2),
        )[0]
        await action(tally)

    async def file(self, tally: Tally) -> None:
        step, me = self.driver.step, self.user.id
        question = await step(tally, me, self.say("🔧 Report a repair"), asks("cat"))
        # The first button of each; the category's answer is the place question (usually a
        # new message; a button that goes back edits it in place), the place's is a question
        # without buttons (where exactly, or the description). The question answered shows
        # its answer under it (an edit without buttons), which is not the next one.
        for expected in (asks("unit", "area"), says("describe", "Where exactly")):
            choices = filing_buttons(question)
            if question is None or not choices:
                return  # the bot answered otherwise (counted by its latency, nothing more)
            question = await step(tally, me, self.press(question, choices[0]), expected)
        if ":area:" in str(choices[0].get("callback_data")):  # a common area: where exactly?
            where = self.say("By the lifts on the ground floor")
            if await step(tally, me, where, says("describe")) is None:
                return
        photos = await step(tally, me, self.say(self.rng.choice(DESCRIPTIONS)), asks("photos_done"))
        if photos is None or not filing_buttons(photos):
            return
        no_photos = filing_buttons(photos)[0]
        urgency = await step(tally, me, self.press(photos, no_photos), asks("urgent"))
        if urgency is None or not filing_buttons(urgency):
            return
        not_urgent = filing_buttons(urgency)[-1]
        summary = await step(tally, me, self.press(urgency, not_urgent), asks("submit"))
        if summary is None or not filing_buttons(summary):
            return
        submit = filing_buttons(summary)[0]
        filed = await step(tally, me, self.press(summary, submit), files_or_asks_to_join)
        similar = [b for b in filing_buttons(filed) if ":join:" in b["callback_data"]]
        if filed is not None and similar:  # neighbours reported it: join theirs, or file anew
            fresh = [b for b in filing_buttons(filed) if ":new:" in b["callback_data"]]
            choice = self.rng.choice(similar[:1] + fresh[:1])
            await step(tally, me, self.press(filed, choice), says("is filed as", "You joined"))

    async def my_tickets(self, tally: Tally) -> None:
        await self.driver.step(tally, self.user.id, self.say("📋 My tickets"), lists_tickets)

    async def tickets(self, tally: Tally) -> None:
        await self.driver.step(tally, self.user.id, self.say("/tickets"), lists_tickets)

    async def profile(self, tally: Tally) -> None:
        await self.driver.step(tally, self.user.id, self.say("👤 Profile"), says("Your profile"))

    async def help(self, tally: Tally) -> None:
        await self.driver.step(tally, self.user.id, self.say("/help"), says("What I can do"))

    async def free_text(self, tally: Tally) -> None:
        await self.driver.step(tally, self.user.id, self.say(self.rng.choice(FREE_TEXTS)), _sent)


def says(*fragments: str) -> Callable[[ApiCall], bool]:
    """The answer whose text holds one of ``fragments`` (the residents speak English)."""

    def answers(call: ApiCall) -> bool:
        text = str(call.params.get("text") or "")
        return call.method == "sendMessage" and any(fragment in text for fragment in fragments)

    return answers


lists_tickets = says("Your tickets", "You have no tickets")


def asks(*steps: str) -> Callable[[ApiCall], bool]:
    """A filing question with the buttons of one of ``steps`` (``cat``, ``unit``, …)."""

    def answers(call: ApiCall) -> bool:
        data = [str(b.get("callback_data", "")) for b in filing_buttons(call)]
        return any(f":{step}:" in d for step in steps for d in data)

    return answers


def files_or_asks_to_join(call: ApiCall) -> bool:
    """What a submitted request gets: its number, or the neighbours' similar reports."""
    return says("is filed as")(call) or asks("join")(call)


def asks_unit(call: ApiCall) -> bool:
    return any(str(b.get("callback_data", "")).startswith("rb:") for b in buttons(call))


def _sent(call: ApiCall) -> bool:
    return call.method == "sendMessage"


def _refused(call: ApiCall) -> bool:
    return call.method == "answerCallbackQuery" and bool(call.params.get("show_alert"))


class Agent:
    """Takes the newest card not taken yet (a press in the staff group)."""

    def __init__(self, driver: Driver, user: FakeUser) -> None:
        self.driver, self.user = driver, user

    async def act(self, tally: Tally) -> None:
        if not self.driver.cards:
            await asyncio.sleep(0.2)
            return
        card = self.driver.cards.pop()
        take = next(b for b in buttons(card) if b["callback_data"].startswith("tk:take:"))
        message = card.result if isinstance(card.result, dict) else {}
        server = self.driver.server

        def push() -> dict[str, Any]:
            return server.press_raw(
                self.user, SUNSHINE_GROUP, int(message.get("message_id", 1)), take["callback_data"]
            )

        await self.driver.step(tally, ("cb", None), push)


class Replayer:
    """The echo bot's side: the recorded updates offered again, one chat at a time."""

    def __init__(self, driver: Driver, updates: list[dict[str, Any]], chat: int) -> None:
        self.driver, self.chat = driver, chat
        self.updates = [u for u in updates if _chat_of(u) == chat] or updates[:1]
        self.position = 0

    async def act(self, tally: Tally) -> None:
        update = self.updates[self.position % len(self.updates)]
        self.position += 1
        server = self.driver.server
        if "callback_query" in update:  # pressed again, so that the fake knows the query
            query = update["callback_query"]
            user = server.state.users[int(query["from"]["id"])]
            message = query.get("message") or {}
            chat, message_id = int(message["chat"]["id"]), int(message["message_id"])

            def push() -> dict[str, Any]:
                return server.press_raw(user, chat, message_id, query["data"])

        else:
            raw = copy.deepcopy(update)

            def push() -> dict[str, Any]:
                return server.push_update(raw)

        await self.driver.step(tally, _chat_of(update), push)


def _chat_of(update: dict[str, Any]) -> int | None:
    if "message" in update:
        return int(update["message"]["chat"]["id"])
    if "callback_query" in update:
        message = update["callback_query"].get("message") or {}
        return int((message.get("chat") or {}).get("id", 0)) or None
    return None


# ------------------------------------------------------------------ the bot process


@dataclass
class BotProcess:
    process: subprocess.Popen[bytes]
    sql_file: Path | None

    def cpu_seconds(self) -> float:
        fields = Path(f"/proc/{self.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def peak_rss_mb(self) -> float:
        for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
        return 0.0

    def statements(self) -> int | None:
        return self._counter(0, int)

    def gc_seconds(self) -> float | None:
        return self._counter(1, float)

    def _counter(self, line: int, kind: Any) -> Any:
        """One of the figures ``bench/bot_process.py`` writes (statements, GC seconds)."""
        if self.sql_file is None:
            return None
        with contextlib.suppress(OSError, ValueError, IndexError):
            return kind(self.sql_file.read_text().split()[line])
        return None

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                self.process.kill()


def start_process(module: str, args: list[str], env: dict[str, str], sql_file: Path | None):
    environment = {**os.environ, **env, "PYTHONPATH": str(ROOT)}
    process = subprocess.Popen(
        [sys.executable, "-m", module, *args], cwd=ROOT, env=environment, stdin=subprocess.DEVNULL
    )
    return BotProcess(process, sql_file)


@dataclass
class Fleet:
    """Several bot processes measured as one: CPU seconds, statements and GC time summed,
    peak RSS of the largest (``total_rss_mb`` sums them)."""

    members: list[BotProcess]

    def cpu_seconds(self) -> float:
        return sum(member.cpu_seconds() for member in self.members)

    def peak_rss_mb(self) -> float:
        return max(member.peak_rss_mb() for member in self.members)

    def total_rss_mb(self) -> float:
        return sum(member.peak_rss_mb() for member in self.members)

    def statements(self) -> int | None:
        counts = [member.statements() for member in self.members]
        return None if None in counts else sum(c for c in counts if c is not None)

    def gc_seconds(self) -> float | None:
        times = [member.gc_seconds() for member in self.members]
        return None if None in times else sum(t for t in times if t is not None)

    def stop(self) -> None:
        for member in self.members:
            member.stop()


def free_port() -> int:
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        return int(listener.getsockname()[1])


async def start_webhook_fleet(
    server: FakeTelegramServer, env: dict[str, str], workdir: Path, instances: int
) -> tuple[Fleet, list[str]]:
    """``instances`` processes of ``resident-bot webhook`` on one database, started one
    after the other (the first migrates and syncs); their local webhook URLs."""
    members, urls = [], []
    for n in range(instances):
        port = free_port()
        counter = workdir / f"sql-{n}.count"
        mark = server.mark()
        members.append(
            start_process(
                "bench.bot_process",
                ["webhook"],
                {
                    **env,
                    "WEBHOOK_URL": "https://resident-bot.example.com",
                    "WEBHOOK_SECRET": WEBHOOK_SECRET,
                    "WEBHOOK_PORT": str(port),
                    "RSB_BENCH_SQL_COUNT": str(counter),
                },
                counter,
            )
        )
        await server.wait_for("setWebhook", since=mark, timeout=120)
        urls.append(f"http://127.0.0.1:{port}/telegram")
    return Fleet(members), urls


# The residents here act at machine speed, about one update a second each: to the flood
# guard (60 messages a minute) some would look like floods, and be told to slow down
# instead of answered, which leaves the script waiting. Its check still runs.
MACHINE_SPEED = "\n[residents]\nmax_messages_per_minute = 1000\n"


def organisation_with_agents(folder: Path, agents: int) -> Path:
    text = ORG_FILE.read_text(encoding="utf-8")
    assert "[residents]" not in text
    text += MACHINE_SPEED
    for i in range(agents):
        text += (
            f'\n[[staff]]\ntelegram_id = {FIRST_AGENT + i}\nname = "Agent {i + 1}"\n'
            'role = "agent"\nunit = "sunshine"\n'
        )
    path = folder / "organisation.toml"
    path.write_text(text, encoding="utf-8")
    return path


async def bind_residents(url: str, telegram_ids: list[int]) -> None:
    """Bind the registered residents to units of the sunshine project (behind the bot)."""
    engine = create_engine(url)
    try:
        async with engine.begin() as connection:
            units = (await connection.scalars(SUNSHINE_UNITS)).all()
            people = (
                await connection.scalars(
                    select(Person.id).where(Person.telegram_id.in_(telegram_ids))
                )
            ).all()
            if people:
                now = time.time()
                from datetime import UTC, datetime

                await connection.execute(
                    table_of(ResidentUnit).insert(),
                    [
                        {
                            "person_id": person,
                            "property_unit_id": units[i % len(units)],
                            "via": "code",
                            "bound_at": datetime.fromtimestamp(now, UTC),
                        }
                        for i, person in enumerate(people)
                    ],
                )
    finally:
        await engine.dispose()


# ------------------------------------------------------------------ phases


@dataclass
class Figures:
    updates_per_second: float = 0.0
    cpu_ms: float = 0.0
    statements: float | None = None
    gc_ms: float | None = None
    p50: float = 0.0
    p95: float = 0.0
    p99: float = 0.0
    whole_p50: float | None = None  # to the whole answer (see Tally.whole)
    whole_p99: float | None = None
    peak_rss: float = 0.0
    offered_rate: float = 0.0  # phase 2's updates a second
    failures: int = 0
    missed: list[str] = field(default_factory=list)


async def closed_loop(actors: list[Any], seconds: float) -> tuple[Tally, int]:
    """Everyone acts again as soon as answered, for ``seconds``; the tally of every update
    (the last actions finish after the deadline) and how many were answered in time.

    The rate is taken over the phase itself: an actor still waiting at the deadline (an
    answer that did not come, or not as the script expected) must not stretch it."""
    tally, deadline = Tally(), time.monotonic() + seconds

    async def keep_acting(actor: Any) -> None:
        while time.monotonic() < deadline:
            await actor.act(tally)

    acting = asyncio.gather(*(keep_acting(actor) for actor in actors))
    await asyncio.sleep(seconds)
    in_time = tally.updates
    await acting
    return tally, in_time


async def open_loop(actors: list[Any], rate: float, seconds: float) -> Tally:
    """Actions offered at ``rate`` (updates a second), each by an actor who is idle."""
    tally, idle = Tally(), list(actors)
    rng = random.Random(7)
    running: set[asyncio.Task[None]] = set()
    per_action = 2.0  # an action is a couple of updates on average (filing: seven)
    interval = per_action / max(rate, 0.1)
    deadline = time.monotonic() + seconds

    async def one(actor: Any) -> None:
        try:
            await actor.act(tally)
        finally:
            idle.append(actor)

    next_at = time.monotonic()
    while time.monotonic() < deadline:
        if idle:
            actor = idle.pop(rng.randrange(len(idle)))
            task = asyncio.create_task(one(actor))
            running.add(task)
            task.add_done_callback(running.discard)
        next_at += interval
        await asyncio.sleep(max(0.0, next_at - time.monotonic()))
    await asyncio.gather(*running)
    return tally


def percentile(values: list[float], share: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


async def measure(
    bot: BotProcess | Fleet, actors: list[Any], seconds: float, rate: float | None = None
) -> Figures:
    """Phase 1 (closed loop), then phase 2 (open loop) at ``rate`` updates a second, or at
    half of the rate phase 1 reached."""
    cpu, statements, gc_seconds = bot.cpu_seconds(), bot.statements(), bot.gc_seconds()
    tally, in_time = await closed_loop(actors, seconds)
    await asyncio.sleep(0.6)  # the statement count is written twice a second
    figures = Figures(failures=tally.failures, missed=tally.missed)
    updates = max(tally.updates, 1)
    figures.updates_per_second = in_time / seconds
    figures.cpu_ms = (bot.cpu_seconds() - cpu) * 1000 / updates
    after = bot.statements()
    if statements is not None and after is not None:
        figures.statements = (after - statements) / updates
    gc_after = bot.gc_seconds()
    if gc_seconds is not None and gc_after is not None:
        figures.gc_ms = (gc_after - gc_seconds) * 1000 / updates
    figures.offered_rate = rate if rate is not None else figures.updates_per_second / 2
    half = await open_loop(actors, figures.offered_rate, seconds)
    figures.p50 = percentile(half.latencies, 0.50)
    figures.p95 = percentile(half.latencies, 0.95)
    figures.p99 = percentile(half.latencies, 0.99)
    if half.whole:
        figures.whole_p50 = percentile(half.whole, 0.50)
        figures.whole_p99 = percentile(half.whole, 0.99)
    figures.failures += half.failures
    figures.missed += half.missed
    figures.peak_rss = bot.peak_rss_mb()
    return figures


async def run(args: argparse.Namespace) -> None:
    workdir = Path(tempfile.mkdtemp(prefix="load-bench-"))
    database = f"{DATABASE_PREFIX}{os.getpid()}"
    if args.db == "postgres":
        url = f"{POSTGRES_ADMIN}/{database}"
        for name in await drop_abandoned(url, DATABASE_PREFIX):
            print(f"dropped {name}, left by a run that was killed")
        await recreate_postgres(url)
    else:
        url = f"sqlite+aiosqlite:///{workdir / 'bot.sqlite3'}"
    server = FakeTelegramServer(token=TOKEN, bot_id=123456, bot_username="resident_test_bot")
    await server.start()
    for chat_id, title in GROUPS.items():
        server.add_group(chat_id, title)
    driver = Driver(server, polled=not args.webhook_instances)
    rng = random.Random(args.seed)
    env = {
        "BOT_TOKEN": TOKEN,
        "DATABASE_URL": url,
        "TELEGRAM_API_URL": server.base_url,
        "BOT_CONFIG": str(organisation_with_agents(workdir, args.agents)),
        "DATA_ENCRYPTION_KEY": Fernet.generate_key().decode(),
        "LOG_LEVEL": os.environ.get("BENCH_BOT_LOG_LEVEL", "WARNING"),
        "POLLING_TIMEOUT": "1",
        "RSB_BENCH_SQL_COUNT": str(workdir / "sql.count"),
    }
    print(
        f"load benchmark on {args.db}: {args.residents} residents, {args.agents} agents, "
        f"Bot API answers {args.latency_ms:g} ms late, phases of {args.seconds:g} s "
        f"(load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs)",
        flush=True,
    )
    bot: BotProcess | Fleet
    delivery = contextlib.AsyncExitStack()
    if args.webhook_instances:
        bot, urls = await start_webhook_fleet(server, env, workdir, args.webhook_instances)
        await delivery.enter_async_context(
            WebhookDelivery(server, *urls, secret=WEBHOOK_SECRET, lanes=32)
        )
    else:
        bot = start_process("bench.bot_process", ["run"], env, workdir / "sql.count")
    try:
        if not args.webhook_instances:
            await server.wait_for("getUpdates", timeout=120)
        residents = [
            Resident(
                driver,
                server.user(id=FIRST_RESIDENT + i, first_name=f"Resident {i}", language_code="en"),
                random.Random(rng.random()),
            )
            for i in range(args.residents)
        ]
        agents = [
            Agent(driver, server.user(id=FIRST_AGENT + i, first_name=f"Agent{i}"))
            for i in range(args.agents)
        ]
        began, registration = time.monotonic(), Tally()
        gate = asyncio.Semaphore(20)

        async def register(resident: Resident) -> bool:
            async with gate:
                return await resident.register(registration)

        registered = sum(await asyncio.gather(*(register(r) for r in residents)))
        await bind_residents(url, [r.user.id for r in residents])
        print(
            f"registered {registered} of {args.residents} residents through the bot in "
            f"{time.monotonic() - began:.1f} s (no added latency)",
            flush=True,
        )
        server.response_delay = args.latency_ms / 1000
        driver.recording = True
        ours = await measure(bot, [*residents, *agents], args.seconds, args.rate)
        driver.recording = False
        if isinstance(bot, Fleet):
            print(
                f"{len(bot.members)} webhook instances: peak RSS "
                f"{', '.join(f'{m.peak_rss_mb():.0f}' for m in bot.members)} MB "
                f"({bot.total_rss_mb():.0f} MB together); the table shows the largest",
                flush=True,
            )
    finally:
        await delivery.aclose()
        bot.stop()
        server.state.webhook_url = ""  # the echo bot long-polls (getUpdates: 409 otherwise)
    updates = driver.recorded
    server.response_delay = 0
    echo = start_process(
        "bench.echo_bot", [], {"BOT_TOKEN": TOKEN, "TELEGRAM_API_URL": server.base_url}, None
    )
    try:
        mark = server.mark()
        await server.wait_for("getMe", since=mark, timeout=60)  # it starts polling then
        server.response_delay = args.latency_ms / 1000
        chats = sorted({c for u in updates if (c := _chat_of(u)) is not None})
        replayers = [Replayer(driver, updates, chat) for chat in chats] or [
            Replayer(driver, updates, 0)
        ]
        theirs = await measure(echo, replayers, args.seconds, args.rate)
    finally:
        # Answer what the echo bot still has in flight before stopping it: a call cut
        # off by its shutdown would be logged as a network error.
        server.response_delay = 0
        await asyncio.sleep(0.5)
        echo.stop()
        await server.stop()
        if args.db == "postgres":
            await drop_postgres(url)
    report(ours, theirs, len(updates), fixed_rate=args.rate is not None)


def _ms(seconds: float | None) -> float | None:
    return None if seconds is None else seconds * 1000


def report(ours: Figures, theirs: Figures, replayed: int, *, fixed_rate: bool = False) -> None:
    def ratio(a: float | None, b: float | None) -> str:
        return f"{a / b:.1f}×" if a is not None and b else "–"

    def fmt(value: float | None, pattern: str) -> str:
        return "–" if value is None else format(value, pattern)

    at = f"at {ours.offered_rate:g}/s" if fixed_rate else "at half of max"
    rows = [
        ("updates/s (max, closed loop)", ours.updates_per_second, theirs.updates_per_second, ".1f"),
        ("CPU ms per update", ours.cpu_ms, theirs.cpu_ms, ".2f"),
        ("  of which garbage collection", ours.gc_ms, None, ".2f"),
        ("updates/s offered in phase 2", ours.offered_rate, theirs.offered_rate, ".1f"),
        (f"p50 ms {at}", ours.p50 * 1000, theirs.p50 * 1000, ".0f"),
        (f"p95 ms {at}", ours.p95 * 1000, theirs.p95 * 1000, ".0f"),
        (f"p99 ms {at}", ours.p99 * 1000, theirs.p99 * 1000, ".0f"),
        ("  p50 ms to the whole answer", _ms(ours.whole_p50), None, ".0f"),
        ("  p99 ms to the whole answer", _ms(ours.whole_p99), None, ".0f"),
        ("SQL statements per update", ours.statements, None, ".1f"),
        ("peak RSS MB (VmHWM)", ours.peak_rss, theirs.peak_rss, ".0f"),
    ]
    print()
    print(f"{'figure':<32} {'this bot':>10} {'echo bot':>10} {'ratio':>7}")
    for name, a, b, pattern in rows:
        print(f"{name:<32} {fmt(a, pattern):>10} {fmt(b, pattern):>10} {ratio(a, b):>7}")
    print(
        f"(echo bot fed {replayed} recorded updates of the closed-loop phase, replayed per chat; "
        f"no answer within 60 s: this bot {ours.failures}, echo bot {theirs.failures})"
    )
    for missed in ours.missed[:10]:  # a closed loop waits for them: updates/s drops
        print(f"  this bot left {missed}")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.load", description=__doc__)
    parser.add_argument("--db", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--latency-ms", type=float, default=100.0)
    parser.add_argument("--seconds", type=float, default=30.0, help="length of each phase")
    parser.add_argument("--residents", type=int, default=100)
    parser.add_argument("--agents", type=int, default=10)
    parser.add_argument("--seed", type=int, default=16)
    parser.add_argument(
        "--rate",
        type=float,
        default=None,
        help="offer phase 2 at this many updates a second, for both bots (default: half of "
        "each one's own maximum); the same rate compares two versions' latency fairly",
    )
    parser.add_argument(
        "--webhook-instances",
        type=int,
        default=0,
        help="run this many instances in webhook mode on one database (0: one, polling); "
        "the fake Bot API delivers each update to them in turn; their CPU, statements and "
        "GC are summed",
    )
    args = parser.parse_args(argv)
    if args.webhook_instances > 1 and args.db != "postgres":
        parser.error("several instances need --db postgres")
    asyncio.run(run(args))


if __name__ == "__main__":
    main()
