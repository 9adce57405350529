"""The fake Telegram server and the unmodified bot, in one process, under a movable clock.

``Sandbox.start()`` restores (or creates) the sandbox's data folder: its own SQLite
file, the fake Telegram's chats and the clock's lead over real time; then starts the
fake server and the real :class:`Application` pointed at it. On a first start the
seed runs in the background (fake residents and staff talking to the bot).
``advance()`` moves the clock and runs every scheduler job at once, so deadlines,
escalations, survey reminders and digests happen now. ``reset()`` starts over.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from apscheduler.events import (
    EVENT_JOB_ERROR,
    EVENT_JOB_EXECUTED,
    EVENT_JOB_SUBMITTED,
    JobExecutionEvent,
    JobSubmissionEvent,
)

from bot.app.application import Application
from bot.app.sandbox.cast import BOT_USERNAME, SANDBOX_TOKEN, Cast, build_cast
from bot.app.sandbox.clock import SandboxClock
from bot.config.orgfile import load_organisation
from bot.config.settings import EXAMPLE_ORG_FILE, Settings
from fake_telegram import FakeTelegramServer
from fake_telegram.models import ApiCall
from fake_telegram.snapshot import load_from, save_to

log = logging.getLogger(__name__)

DATABASE_FILE = "sandbox.sqlite3"
TELEGRAM_FILE = "telegram.pickle"
CLOCK_FILE = "clock.json"
SEEDED_FILE = "seeded"
# Everything the sandbox writes in its folder (reset removes exactly these).
OWN_FILES = (
    DATABASE_FILE,
    f"{DATABASE_FILE}-wal",
    f"{DATABASE_FILE}-shm",
    f"{DATABASE_FILE}-journal",
    "sandbox.key",
    TELEGRAM_FILE,
    f"{TELEGRAM_FILE}.tmp",
    CLOCK_FILE,
    SEEDED_FILE,
)
SAVE_EVERY_SECONDS = 3.0
# How long stopping (Start over, Ctrl+C) waits for scheduled jobs already running.
JOBS_FINISH_SECONDS = 15.0
QUIET_METHODS = frozenset({"getUpdates", "getMe", "deleteWebhook", "setMyCommands"})

Seeder = Callable[["Sandbox"], Awaitable[None]]


@dataclass
class Toast:
    """A callback answer (toast or alert) shown in the pane whose button was pressed."""

    seq: int
    pane: str
    text: str
    alert: bool


class Sandbox:
    def __init__(self, data_dir: Path, *, seeder: Seeder | None = None) -> None:
        self.data_dir = data_dir
        self._seeder = seeder
        organisation = load_organisation(EXAMPLE_ORG_FILE)
        self.zone = ZoneInfo(organisation.timezone)
        self.cast: Cast = build_cast(organisation)
        self.version = 0  # grows with every change the page should show
        self.epoch = 0  # grows with every (re)start: the page starts afresh
        self.status = "starting"  # starting, seeding, ready, failed
        self.problem = ""
        self.toasts: list[Toast] = []
        self._pressed: dict[str, str] = {}  # callback query id -> pane key
        self._toast_seq = 0
        self._notifications: set[asyncio.Task[None]] = set()
        self._changed = asyncio.Condition()
        self._busy = asyncio.Lock()
        self._saved_version = -1
        self._tasks: list[asyncio.Task[None]] = []
        self._telegram: FakeTelegramServer | None = None
        self._app: Application | None = None
        self._running_jobs = 0
        self._jobs_idle = asyncio.Event()
        self._jobs_idle.set()
        self.clock = SandboxClock(data_dir / CLOCK_FILE)

    # --------------------------------------------------------------- parts
    @property
    def telegram(self) -> FakeTelegramServer:
        if self._telegram is None:
            raise RuntimeError("the sandbox is not running")
        return self._telegram

    @property
    def app(self) -> Application:
        if self._app is None:
            raise RuntimeError("the sandbox is not running")
        return self._app

    @property
    def running(self) -> bool:
        return self._app is not None

    def settings(self) -> Settings:
        return Settings(
            _env_file=None,
            bot_token=SANDBOX_TOKEN,
            database_url=f"sqlite+aiosqlite:///{(self.data_dir / DATABASE_FILE).as_posix()}",
            telegram_api_url=self.telegram.base_url,
            bot_config=EXAMPLE_ORG_FILE,
            data_encryption_key=None,
            polling_timeout=10,
            request_timeout=30,
            worker_poll_interval=0.1,
            outbox_poll_interval=0.1,
            sla_sweep_interval=15,
            # Nobody is flooded in a sandbox: let the outbox deliver at once.
            outbox_per_second=200,
            outbox_group_per_minute=2000,
            outbox_chat_per_second=100,
        )

    # ----------------------------------------------------------- lifecycle
    async def start(self) -> None:
        async with self._busy:
            await self._start()

    async def _start(self) -> None:
        self.status, self.problem = "starting", ""
        self.epoch += 1
        self.toasts.clear()
        self._pressed.clear()
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.clock = SandboxClock(self.data_dir / CLOCK_FILE)
        telegram = FakeTelegramServer(
            token=SANDBOX_TOKEN,
            bot_id=int(SANDBOX_TOKEN.split(":")[0]),
            bot_username=BOT_USERNAME,
            bot_first_name="物业服务助手",
        )
        telegram.state.now = lambda: self.clock.now().timestamp()
        resumed = (self.data_dir / SEEDED_FILE).exists() and load_from(
            telegram.state, self.data_dir / TELEGRAM_FILE
        )
        if not resumed:
            self._remove_own_files()
            self.clock = SandboxClock(self.data_dir / CLOCK_FILE)
        telegram.recorder.listeners.append(self._on_call)
        await telegram.start()
        self._telegram = telegram
        self.cast.install(telegram)
        app = Application(self.settings(), clock=self.clock)
        try:
            await app.start()
        except BaseException:
            await app.stop()
            await telegram.stop()
            self._telegram = None
            raise
        self._app = app
        self._running_jobs = 0
        self._jobs_idle.set()
        app.scheduler.add_listener(
            self._on_job, EVENT_JOB_SUBMITTED | EVENT_JOB_EXECUTED | EVENT_JOB_ERROR
        )
        self._tasks = [asyncio.create_task(self._keep_saving(), name="sandbox-save")]
        if resumed or self._seeder is None:
            self.status = "ready"
        else:
            self.status = "seeding"
            self._tasks.append(asyncio.create_task(self._seed(), name="sandbox-seed"))
        await self.changed()

    async def _seed(self) -> None:
        assert self._seeder is not None
        try:
            await self._seeder(self)
        except Exception as error:
            log.exception("Seeding the sandbox failed")
            self.status, self.problem = "failed", f"seeding failed: {error}"
        else:
            (self.data_dir / SEEDED_FILE).write_text("1\n", encoding="utf-8")
            self.status = "ready"
        self.save()
        await self.changed()

    async def stop(self) -> None:
        async with self._busy:
            await self._stop()

    async def _stop(self) -> None:
        tasks, self._tasks = self._tasks, []
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        if self._app is not None:
            await self._jobs_finished()
            await self._app.stop()
            self._app = None
        if self._telegram is not None:
            if (self.data_dir / SEEDED_FILE).exists():
                self.save()
            await self._telegram.stop()
            self._telegram = None

    async def reset(self) -> None:
        """Start over: a fresh database, empty chats, the clock back to now, a new seed."""
        async with self._busy:
            await self._stop()
            self._remove_own_files()
            await self._start()

    def _remove_own_files(self) -> None:
        for name in OWN_FILES:
            with contextlib.suppress(FileNotFoundError):
                (self.data_dir / name).unlink()

    def _on_job(self, event: JobSubmissionEvent | JobExecutionEvent) -> None:
        if event.code == EVENT_JOB_SUBMITTED:
            self._running_jobs += 1
            self._jobs_idle.clear()
        else:
            self._running_jobs = max(0, self._running_jobs - 1)
            if not self._running_jobs:
                self._jobs_idle.set()

    async def _jobs_finished(self) -> None:
        """No new job starts, and the ones running (moving the clock runs them all at
        once) may finish: stopping would cancel them half-way."""
        scheduler = self.app.scheduler
        if scheduler.running:
            scheduler.pause()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._jobs_idle.wait(), JOBS_FINISH_SECONDS)

    # ---------------------------------------------------------------- time
    async def advance(self, step: timedelta) -> datetime:
        """Move the clock forward and let every scheduled job catch up now."""
        async with self._busy:
            now = self.clock.advance(step)
            scheduler = self.app.scheduler
            for job in scheduler.get_jobs():
                job.modify(next_run_time=datetime.now(UTC))
            self.app.wake_sender()
            await self.changed()
            return now

    # ------------------------------------------------------------- changes
    def _on_call(self, call: ApiCall) -> None:
        if call.method in QUIET_METHODS:
            return
        if call.method == "answerCallbackQuery" and call.ok:
            pane = self._pressed.pop(str(call.params.get("callback_query_id")), None)
            text = call.params.get("text")
            if pane is not None and text:
                self._toast_seq += 1
                alert = bool(call.params.get("show_alert"))
                self.toasts.append(Toast(self._toast_seq, pane, str(text), alert))
                del self.toasts[:-20]
        self._bump()

    def _bump(self) -> None:
        task = asyncio.get_running_loop().create_task(self.changed())
        self._notifications.add(task)
        task.add_done_callback(self._notifications.discard)

    async def changed(self) -> None:
        async with self._changed:
            self.version += 1
            self._changed.notify_all()

    async def wait_for_change(self, since: int, timeout: float) -> None:  # noqa: ASYNC109
        async with self._changed:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(
                    self._changed.wait_for(lambda: self.version > since), timeout
                )

    def pressed(self, update: dict[str, Any], pane: str) -> None:
        """Remember which pane pressed a button, to show the bot's answer there."""
        self._pressed[str(update["callback_query"]["id"])] = pane

    # ---------------------------------------------------------- persistence
    def save(self) -> None:
        if self._telegram is None:
            return
        save_to(self._telegram.state, self.data_dir / TELEGRAM_FILE)
        self._saved_version = self.version

    async def _keep_saving(self) -> None:
        while True:
            await asyncio.sleep(SAVE_EVERY_SECONDS)
            if self.status == "ready" and self.version != self._saved_version:
                self.save()
                # The call log is for tests; a long sandbox session need not keep it.
                self.telegram.clear_calls()
