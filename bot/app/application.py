"""Application wiring and lifecycle: the one place that builds everything.

``Application.start()`` loads and checks the organisation file, migrates the
database, syncs the directory, connects to the Bot API, and starts the update
poller, the update worker, the outbox sender and the scheduler.
``Application.stop()`` stops them in the reverse order, letting work in hand
finish for a short grace period; anything cut short is retried after restart.
With several instances on one PostgreSQL database every one handles updates, but the
poller, the sender and the scheduler's jobs work only while this instance leads
(``scheduler/leadership.py``: ``_lead`` and ``_follow``); with SQLite it always does.

The loops wait out outages of the database and of the Bot API by themselves
(``scheduler/resilience.py``), and so does the start: a database still starting, or
away, is waited for as the Bot API is. A loop that stops anyway — a fault retrying cannot
mend, or an outage longer than ``OUTAGE_GIVE_UP_SECONDS`` — stops the application,
and :meth:`Application.run` then raises :class:`ApplicationFailed`, which the
``run`` command turns into a non-zero exit status for the supervisor to see.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import os
import random
import socket
import time
import uuid
from datetime import UTC, datetime, timedelta
from typing import Generic, Self, TypeVar, overload

from aiogram import Bot, Dispatcher
from aiogram.client.default import DefaultBotProperties
from aiogram.client.telegram import TelegramAPIServer
from aiogram.enums import ParseMode
from aiogram.exceptions import (
    TelegramNetworkError,
    TelegramServerError,
    TelegramUnauthorizedError,
)
from aiogram.types import BotCommand, BotCommandScopeAllGroupChats, BotCommandScopeAllPrivateChats
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.schedulers.base import STATE_RUNNING
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bot.app.context import Context
from bot.app.deps import Deps
from bot.app.dispatcher import build_dispatcher
from bot.app.encryption_keys import configure_encryption
from bot.app.observability.http import HealthServer
from bot.app.observability.http import routes as health_routes
from bot.app.observability.metrics import Metrics
from bot.app.runtime.apology import apology_sender
from bot.app.runtime.polling import UpdatePoller
from bot.app.runtime.response_models import keep_response_models
from bot.app.runtime.webhook import WebhookServer
from bot.app.runtime.worker import UpdateWorker
from bot.clock import Clock, SystemClock
from bot.config.orgfile import Organisation, load_organisation
from bot.config.settings import Settings
from bot.i18n import SUPPORTED_LOCALES, normalise_locale, translate
from bot.presentation.commands import (
    BOT_DESCRIPTION,
    BOT_SHORT_DESCRIPTION,
    Audience,
    group_commands,
    private_commands,
)
from bot.presentation.json_session import JsonSession
from bot.presentation.outbound.menus import queue_staff_menus
from bot.presentation.stats import chart
from bot.services.directory import SyncReport, sync_organisation
from bot.services.intake import words
from bot.services.stats import requests as stats_requests
from bot.services.stats.digest import QuietGroups
from scheduler.in_hand import JobsInHand
from scheduler.jobs import SLA_CATCH_UP_DELAY, register_jobs
from scheduler.leadership import InstanceRole, Leadership
from scheduler.outbox_sender import OutboxSender
from scheduler.rate_limits import SendPacer
from scheduler.resilience import (
    GaveUp,
    Outage,
    cancel_and_wait,
    is_database_outage,
    summary,
)
from scheduler.sla_sweep import SlaSweeper
from storage import inbox, outbox_queue
from storage.db import PoolSize, create_engine, create_sessionmaker
from storage.migrate import setting_up_alone, upgrade

log = logging.getLogger(__name__)
STOP_GRACE_SECONDS = 10.0
GC_THRESHOLDS = (20_000, 20, 10)  # the young generation's allocations, then passes


def _warm_up() -> None:
    chart.warm_up()
    words.warm_up()
    # What is loaded by now (modules, models, routers, dictionaries) lives as long as the
    # process: keep it out of the collector's full passes (each walked every object).
    gc.freeze()
    # An update allocates tens of thousands of container objects (parsed models, ORM
    # rows, statements), nearly all gone by its end: at the default 700 allocations the
    # young generation was collected many times per update, each pass walking whatever
    # was alive at that moment.
    gc.set_threshold(*GC_THRESHOLDS)


class NotStarted(RuntimeError):
    """A part of the application was asked for before :meth:`Application.start`."""


T = TypeVar("T")


class _Started(Generic[T]):
    """A part of the running application, read-only, kept in the attribute of its name
    with a leading underscore (``bot`` in ``_bot``): reading it before
    :meth:`Application.start` (or after :meth:`Application.stop`) raises :class:`NotStarted`."""

    def __set_name__(self, owner: type, name: str) -> None:
        self._name = name

    @overload
    def __get__(self, app: None, owner: type) -> Self: ...

    @overload
    def __get__(self, app: object, owner: type) -> T: ...

    def __get__(self, app: object | None, owner: type) -> T | Self:
        if app is None:
            return self
        component: T | None = getattr(app, f"_{self._name}")
        if component is None:
            raise NotStarted("the application has not been started (or has stopped)")
        return component

    def __set__(self, app: object, value: object) -> None:
        raise AttributeError(f"{self._name} is set by Application.start, not from outside")


class Application:
    def __init__(
        self,
        settings: Settings,
        *,
        clock: Clock | None = None,
        rng: random.Random | None = None,
        instance_id: str | None = None,
        webhook: bool = False,
    ) -> None:
        self.settings = settings
        # Updates arrive by webhook (``resident-bot webhook``) instead of long polling.
        self.uses_webhook = webhook
        self._webhook: WebhookServer | None = None
        self.clock = clock or SystemClock()
        self.rng = rng or random.Random()
        self.instance_id = (
            instance_id or f"{socket.gethostname()}-{os.getpid()}-{uuid.uuid4().hex[:6]}"
        )
        self._deps: Deps | None = None
        self.metrics = Metrics()  # this application's own registry (bot/app/observability/)
        # The outbox sender, the scheduler and the SLA sweep are expected to run here
        # (a standby instance of several runs none of them; /healthz reports the role).
        self.is_leader = True
        self._health_server: HealthServer | None = None
        self._engine: AsyncEngine | None = None
        self._bot: Bot | None = None
        self._dispatcher: Dispatcher | None = None
        self._worker: UpdateWorker | None = None
        self._sender: OutboxSender | None = None
        self._scheduler: AsyncIOScheduler | None = None
        self._jobs_in_hand = JobsInHand()
        self._tasks: dict[str, asyncio.Task[None]] = {}
        self._warm_up: asyncio.Task[None] | None = None
        self._warm_reports: asyncio.Task[None] | None = None
        self._stopped = asyncio.Event()
        self._failure: tuple[str, BaseException] | None = None  # the loop that stopped, why
        self._leadership: Leadership | None = None

    # What the running application is made of; each raises NotStarted before start().
    deps = _Started[Deps]()
    bot = _Started[Bot]()
    dispatcher = _Started[Dispatcher]()
    worker = _Started[UpdateWorker]()
    sender = _Started[OutboxSender]()
    webhook = _Started[WebhookServer]()
    scheduler = _Started[AsyncIOScheduler]()
    health_server = _Started[HealthServer]()
    leadership = _Started[Leadership]()

    @property
    def organisation(self) -> Organisation:
        return self.deps.organisation

    @property
    def sessionmaker(self) -> async_sessionmaker[AsyncSession]:
        return self.deps.sessionmaker

    @property
    def sla_sweeper(self) -> SlaSweeper:
        return self.deps.sla_sweeper

    @property
    def quiet_digests(self) -> QuietGroups:
        return self.deps.quiet_digests

    @property
    def default_locale(self) -> str:
        return self.deps.default_locale

    # What /healthz reads (bot/app/observability/health.py).
    @property
    def started(self) -> bool:
        return self._deps is not None and self._engine is not None

    @property
    def stopping(self) -> bool:
        return self._stopped.is_set()

    @property
    def loops(self) -> dict[str, asyncio.Task[None]]:
        return dict(self._tasks)

    @property
    def scheduler_running(self) -> bool:
        """Started and not paused (a standby pauses its scheduler)."""
        return self._scheduler is not None and self._scheduler.state == STATE_RUNNING

    async def start(self) -> None:
        settings = self.settings
        organisation = load_organisation(settings.bot_config)
        configure_encryption(settings)
        self._engine = engine = create_engine(
            settings.database_url,
            busy_timeout=settings.sqlite_busy_timeout,
            pool=PoolSize(settings.database_pool_size, settings.database_max_overflow),
        )
        sessionmaker = create_sessionmaker(engine)
        # A commit that queued outbox messages wakes the sender (``storage.outbox_queue``).
        outbox_queue.wake_after_commit(sessionmaker, self._wake_sender)
        report = await self._set_up_database(engine, sessionmaker, organisation)
        if report is None:
            return  # asked to stop while it waited for the database
        log.info("Organisation synced: %s", report.summary())

        self._deps = Deps(
            settings=settings,
            organisation=organisation,
            clock=self.clock,
            rng=self.rng,
            sessionmaker=sessionmaker,
            default_locale=normalise_locale(organisation.default_language) or "zh_CN",
            sla_sweeper=SlaSweeper(
                sessionmaker,
                lambda: Context(organisation, self.clock.now()),
                batch_size=settings.sla_sweep_batch,
                metrics=self.metrics,
            ),
            quiet_digests=QuietGroups(),
            wake_sender=self._wake_sender,
            in_hand=self._jobs_in_hand,
        )
        keep_response_models()
        self._bot = Bot(
            settings.token,
            session=JsonSession(
                api=TelegramAPIServer.from_base(settings.telegram_api_url),
                timeout=settings.request_timeout,
            ),
            default=DefaultBotProperties(parse_mode=ParseMode.HTML),
        )
        await self._connect()
        if not self.uses_webhook:
            await self.bot.delete_webhook(drop_pending_updates=False)
        await self._publish_commands()

        self._dispatcher = build_dispatcher(self.deps)
        await self.dispatcher.emit_startup(bot=self.bot, **self.dispatcher.workflow_data)
        self._start_loops()
        self._scheduler = AsyncIOScheduler(timezone="UTC")
        # The sender, the scheduler's jobs and polling run on the leader only (with SQLite,
        # this one instance): ``_lead`` starts them.
        self._leadership = Leadership(
            settings.database_url,
            instance_id=self.instance_id,
            interval=settings.leader_check_interval,
            on_elected=self._lead,
            on_deposed=self._follow,
            on_wake=self.sender.wake,
        )
        await self._leadership.start()
        if self.uses_webhook:
            await self._receive_by_webhook()
        if settings.health_port is not None and not self.uses_webhook:
            self._health_server = HealthServer(self, settings.health_host, settings.health_port)
            await self._health_server.start()
        # The chart library (about 2 s) and the Chinese word segmenter's dictionary (about
        # 1 s) load slowly: warm them now, in a worker thread, so that neither the first
        # /stats nor the first message a resident writes waits for them.
        self._warm_up = asyncio.create_task(asyncio.to_thread(_warm_up), name="warm-up")
        if settings.stats_warm_up:
            self._warm_reports = asyncio.create_task(self._compile_reports(), name="warm-reports")
        log.info("Resident Service Bot started (instance %s)", self.instance_id)

    async def _compile_reports(self) -> None:
        """The statistics' statements compiled once, now: the first /stats of the process
        then holds no other update up while SQLAlchemy compiles them."""
        began = time.monotonic()
        try:
            built = await stats_requests.warm_up(
                stats_requests.reading_from(self.sessionmaker),
                self.organisation.zone(),
                self.clock.now(),
            )
        except asyncio.CancelledError:
            raise
        except Exception:  # the first /stats compiles them then; nothing else is at stake
            log.warning("Could not prepare the statistics' statements", exc_info=True)
            return
        log.info(
            "Statistics' statements prepared (%d reports, %.2fs)", built, time.monotonic() - began
        )

    @property
    def statistics_prepared(self) -> bool:
        task = self._warm_reports
        return task is not None and task.done() and not task.cancelled()

    def _wake_sender(self) -> None:
        if self._leadership is not None and not self._leadership.is_leader():
            self._leadership.notify()  # the leader's sender, through PostgreSQL's NOTIFY
        elif self._sender is not None:
            self._sender.wake()

    @property
    def role(self) -> InstanceRole:
        """Whether this instance leads the fleet (``scheduler/leadership.py``)."""
        return self.leadership.role

    def _leads(self) -> bool:
        return self._leadership is not None and self._leadership.is_leader()

    def _lead(self) -> None:
        """Elected: the scheduler's jobs run here (what fell due meanwhile soon), the
        sender sends, and takes over what a vanished leader had claimed."""
        self.is_leader = True
        scheduler = self.scheduler
        if not scheduler.running:
            register_jobs(
                scheduler, self.deps, self.settings.sla_sweep_interval, self._jobs_in_hand
            )
            scheduler.start()
        else:
            soon = datetime.now(UTC) + SLA_CATCH_UP_DELAY
            for job in scheduler.get_jobs():
                if job.next_run_time is None or job.next_run_time > soon:
                    job.modify(next_run_time=soon)
            scheduler.resume()
        if not self.settings.is_sqlite:
            grace = self.settings.request_timeout + 2 * self.settings.leader_check_interval
            self.sender.take_over(grace)
        self.sender.wake()

    def _follow(self) -> None:
        """No longer the leader: no job starts here (one running ends by itself; its
        changes are conditional); the sender and the poller see it at once (``_leads``)."""
        self.is_leader = False
        if self._scheduler is not None and self._scheduler.running:
            self._scheduler.pause()

    def context(self) -> Context:
        """A domain context at the clock's now (for jobs and tests)."""
        return self.deps.context()

    def wake_sender(self) -> None:
        self._wake_sender()

    async def _set_up_database(
        self,
        engine: AsyncEngine,
        sessionmaker: async_sessionmaker[AsyncSession],
        organisation: Organisation,
    ) -> SyncReport | None:
        """Migrate and sync the organisation, waiting out a database that is away at
        start (a server still starting, a file another process holds) as the loops wait
        out an outage; None if asked to stop meanwhile."""
        outage = self._outage("start-up")
        while True:
            try:
                await upgrade(engine)
                async with sessionmaker() as session, session.begin():
                    await setting_up_alone(session)  # instances starting at once sync in turn
                    report = await sync_organisation(session, organisation, self.clock.now())
                    if self.settings.is_sqlite:
                        # SQLite means one instance: leases left by a crashed run are void.
                        await inbox.release_all_locks(session)
                        await outbox_queue.release_all_locks(session)
            except Exception as error:
                if not is_database_outage(error):
                    raise
                try:
                    delay = outage.failed(error)
                except GaveUp as gave_up:  # away longer than OUTAGE_GIVE_UP_SECONDS
                    raise ApplicationFailed(f"start-up stopped: {summary(error)}") from gave_up
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._stopped.wait(), delay)
                if self._stopped.is_set():
                    return None
                continue
            outage.recovered()
            return report

    async def _connect(self) -> None:
        """Reach the Bot API, waiting out network trouble; a rejected token is fatal."""
        delay = 1.0
        while True:
            try:
                me = await self.bot.get_me()
            except TelegramUnauthorizedError:
                raise
            except (TelegramNetworkError, TelegramServerError, TimeoutError, OSError) as error:
                log.warning("Bot API not reachable (%s); retrying in %.0fs", error, delay)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 60.0)
                continue
            log.info("Connected as @%s", me.username)
            return

    async def _publish_commands(self) -> None:
        """Telegram's command menus: residents' private chats and staff groups, per language;
        each staff member's own menu goes through the outbox (queued here if it changed)."""
        audiences = (
            (BotCommandScopeAllPrivateChats(), private_commands(Audience.RESIDENT)),
            (BotCommandScopeAllGroupChats(), group_commands()),
        )
        for locale in SUPPORTED_LOCALES:
            language = None if locale == self.default_locale else locale.split("_")[0]
            for scope, listed in audiences:
                commands = [
                    BotCommand(command=c.name, description=translate(locale, c.description))
                    for c in listed
                ]
                await self.bot.set_my_commands(commands, scope=scope, language_code=language)
            await self.bot.set_my_description(
                translate(locale, BOT_DESCRIPTION), language_code=language
            )
            await self.bot.set_my_short_description(
                translate(locale, BOT_SHORT_DESCRIPTION), language_code=language
            )
        async with self.sessionmaker() as session, session.begin():
            await queue_staff_menus(session, self.context())

    async def _receive_by_webhook(self) -> None:
        """Listen for updates, then tell Telegram where to send them (every instance sets
        the same address; stopping one does not delete it, the others still serve it)."""
        settings = self.settings
        self._webhook = WebhookServer(
            self.sessionmaker,
            self.clock,
            path=settings.webhook_path,
            secret=settings.webhook_secret_token,
            host=settings.webhook_host,
            port=settings.webhook_port,
            on_stored=self.worker.news,
            extra_routes=health_routes(self),  # /healthz and /metrics beside the webhook
        )
        await self._webhook.start()
        await self.bot.set_webhook(
            url=settings.webhook_endpoint,
            secret_token=settings.webhook_secret_token,
            allowed_updates=self.dispatcher.resolve_used_update_types(),
            drop_pending_updates=False,
        )

    def _outage(self, name: str) -> Outage:
        """How the loop ``name`` waits out an outage (and when it gives up)."""
        return Outage(name, rng=self.rng, give_up_after=self.settings.outage_give_up_seconds)

    def _start_loops(self) -> None:
        settings = self.settings
        self._sender = OutboxSender(
            self.bot,
            self.sessionmaker,
            self.clock,
            sender_id=self.instance_id,
            max_attempts=settings.outbox_max_attempts,
            poll_interval=settings.outbox_poll_interval,
            rng=self.rng,
            pacer=SendPacer(
                settings.outbox_per_second,
                settings.outbox_group_per_minute,
                settings.outbox_chat_per_second,
                paid_per_second=settings.paid_broadcast_per_second,
            ),
            locale=self.default_locale,
            outage=self._outage("outbox sender"),
            paid_broadcast=settings.paid_broadcast,
            active=self._leads,
            metrics=self.metrics,
        )
        self._worker = UpdateWorker(
            self.dispatcher,
            self.bot,
            self.sessionmaker,
            self.clock,
            worker_id=self.instance_id,
            lease=timedelta(seconds=settings.update_lock_seconds),
            max_attempts=settings.update_max_attempts,
            poll_interval=settings.worker_poll_interval,
            max_concurrent_chats=settings.max_concurrent_chats,
            max_concurrent_transactions=settings.database_pool_size,
            on_gave_up=apology_sender(self.clock, self.default_locale),
            outage=self._outage("update worker"),
            metrics=self.metrics,
        )
        poller = UpdatePoller(
            self.bot,
            self.sessionmaker,
            self.clock,
            timeout=settings.polling_timeout,
            allowed_updates=self.dispatcher.resolve_used_update_types(),
            on_stored=self.worker.news,
            outage=self._outage("update poller"),
            active=self._leads,
        )
        self._tasks = {
            "worker": asyncio.create_task(self.worker.run(), name="worker"),
            "sender": asyncio.create_task(self.sender.run(), name="sender"),
        }
        if not self.uses_webhook:  # else Telegram POSTs updates to ``self.webhook``
            self._tasks["poller"] = asyncio.create_task(poller.run(), name="poller")
        for task in self._tasks.values():
            task.add_done_callback(self._on_loop_exit)

    def _on_loop_exit(self, task: asyncio.Task[None]) -> None:
        if task.cancelled() or (error := task.exception()) is None:
            return
        log.critical(
            "%s stopped unexpectedly: %s; shutting down",
            task.get_name(),
            summary(error),
            exc_info=error,
        )
        if self._failure is None:
            self._failure = (task.get_name(), error)
        self.request_stop()

    @property
    def failure(self) -> tuple[str, BaseException] | None:
        """The loop that stopped the application, and why (None: it was asked to stop)."""
        return self._failure

    def request_stop(self) -> None:
        self._stopped.set()

    async def wait_until_stopped(self) -> None:
        await self._stopped.wait()

    async def stop(self) -> None:
        """Stop in reverse order of start; safe to call more than once."""
        self._stopped.set()
        if self._leadership is not None and not self._leadership.is_leader():
            await self._leadership.stop()  # a standby that is stopping takes no lead
        if self._health_server is not None:
            await self._health_server.stop()
            self._health_server = None
        if self._warm_up is not None:
            self._warm_up.cancel()  # the thread finishes by itself; nothing waits for it
        if self._warm_reports is not None:
            await cancel_and_wait([self._warm_reports], STOP_GRACE_SECONDS, "report warm-up")
        poller = self._tasks.pop("poller", None)
        if poller is not None:
            poller.cancel()
        if self._webhook is not None:
            await self._webhook.stop()  # Telegram re-sends what it cannot deliver meanwhile
            self._webhook = None
        for name, component in (("worker", self._worker), ("sender", self._sender)):
            task = self._tasks.pop(name, None)
            if task is None or component is None:
                continue
            component.stop_soon()
            try:
                await asyncio.wait_for(asyncio.shield(task), STOP_GRACE_SECONDS)
            except (TimeoutError, Exception):
                task.cancel()
        if poller is not None:
            await cancel_and_wait([poller], STOP_GRACE_SECONDS, "update poller")
        if self._leadership is not None:
            await self._leadership.stop()  # the sender has stopped: a standby takes over
        if self._scheduler is not None and self._scheduler.running:
            self._scheduler.shutdown(wait=False)  # no new job
        if self._deps is not None:
            await self._deps.sla_sweeper.stop()  # let a batch in hand commit
        # The jobs in hand end, and the work updates started after their commit (the worker
        # has stopped: no more of it starts) goes out while the Bot API session is open.
        await self._jobs_in_hand.finish(STOP_GRACE_SECONDS)
        if self._dispatcher is not None and self._bot is not None:
            await self._dispatcher.emit_shutdown(bot=self._bot, **self._dispatcher.workflow_data)
            self._dispatcher = None
        if self._bot is not None:
            await self._bot.session.close()
            self._bot = None
        if self._engine is not None:
            await self._engine.dispose()
            self._engine = None
            # A task cancelled inside an SQLite statement leaves its connection to the
            # garbage collector (aiosqlite stops the connection's thread without closing
            # it): collected now, the database is closed, its WAL file checkpointed and
            # gone, when the stop returns.
            gc.collect()
        log.info("Resident Service Bot stopped")

    async def run(self) -> None:
        """Start, run until :meth:`request_stop`, then stop cleanly."""
        try:
            await self.start()
            await self.wait_until_stopped()
        finally:
            await self.stop()
        if self._failure is not None:
            name, error = self._failure
            raise ApplicationFailed(f"{name} stopped: {summary(error)}") from error


class ApplicationFailed(RuntimeError):
    """A loop stopped the application (the ``run`` command exits non-zero)."""
