"""Webhook intake: Telegram POSTs each update; it is stored in the inbox, then answered.

The same promise as the poller (``polling.py``): an update is committed to the inbox
before Telegram hears 200, so a crash never loses one. Telegram re-sends an update
that was not answered 2xx; a re-sent ``update_id`` is ignored by the inbox's primary
key and still answered 200, so it is handled once, whichever instance receives it.

A request is checked in the order that costs least: the secret token (Telegram sends
``X-Telegram-Bot-Api-Secret-Token``; compared in constant time) before the body is
read, then the declared size, then the JSON. Refusals are one short log line, never a
traceback: 401 without the token, 403 with a wrong one, 413 for a body over the limit,
400 for one that is not an update. While the database is away the answer is 503, and
Telegram tries again later.
"""

from __future__ import annotations

import hmac
import json
import logging
from collections.abc import Callable, Iterable
from typing import Any

from aiohttp import web
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.clock import Clock
from scheduler.resilience import is_database_outage, summary
from storage import inbox

log = logging.getLogger(__name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
# Telegram's largest update (a message with a long text, entities and a reply) is far
# below this; anything bigger is not from Telegram.
MAX_BODY_BYTES = 1024 * 1024
# The inbox's update_id column is a BIGINT.
_MAX_UPDATE_ID = 2**63 - 1


class WebhookServer:
    """The aiohttp server Telegram delivers updates to (and, beside it, ``extra_routes``
    such as health and metrics)."""

    def __init__(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        clock: Clock,
        *,
        path: str,
        secret: str,
        host: str,
        port: int,
        on_stored: Callable[[], None],
        max_body: int = MAX_BODY_BYTES,
        extra_routes: Iterable[web.AbstractRouteDef] = (),
    ) -> None:
        self._sessionmaker = sessionmaker
        self._clock = clock
        self._path = path
        self._secret = secret.encode()
        self._host = host
        self._port = port
        self._on_stored = on_stored
        self._max_body = max_body
        self._extra_routes = list(extra_routes)
        self._runner: web.AppRunner | None = None
        self._database_away = False

    @property
    def port(self) -> int:
        """The port listened on (the one chosen when ``WEBHOOK_PORT`` is 0)."""
        return self._port

    @property
    def local_url(self) -> str:
        """Where this process listens for updates (not the public address)."""
        return f"http://{self._host}:{self._port}{self._path}"

    def web_app(self) -> web.Application:
        app = web.Application(client_max_size=self._max_body)
        app.router.add_post(self._path, self.handle)
        app.router.add_routes(self._extra_routes)
        return app

    async def start(self) -> None:
        runner = web.AppRunner(
            self.web_app(), access_log=None, handle_signals=False, shutdown_timeout=2.0
        )
        await runner.setup()
        site = web.TCPSite(runner, self._host, self._port)
        await site.start()
        self._runner = runner
        self._port = int(runner.addresses[0][1])
        log.info("Receiving updates by webhook on %s", self.local_url)

    async def stop(self) -> None:
        runner, self._runner = self._runner, None
        if runner is not None:
            await runner.cleanup()

    async def handle(self, request: web.Request) -> web.Response:
        given = request.headers.get(SECRET_HEADER)
        if given is None:
            return _refused(401, "no secret token")
        if not hmac.compare_digest(given.encode(), self._secret):
            return _refused(403, "a wrong secret token")
        if request.content_length is not None and request.content_length > self._max_body:
            return _refused(413, f"a body of {request.content_length} bytes")
        try:
            body = await request.read()
        except web.HTTPRequestEntityTooLarge:
            return _refused(413, "a body over the limit")
        update = _update_in(body)
        if update is None:
            return _refused(400, "a body that is not an update")
        try:
            async with self._sessionmaker() as session, session.begin():
                stored = await inbox.store_updates(session, [update], self._clock.now())
        except Exception as error:
            if not is_database_outage(error):
                log.exception("Webhook: the update could not be stored")
                return web.Response(status=500)
            if not self._database_away:
                log.warning("Webhook: the database is away (%s); answering 503", summary(error))
            self._database_away = True
            return web.Response(status=503, text="database unavailable")
        if self._database_away:
            log.info("Webhook: the database is back")
            self._database_away = False
        if stored:
            self._on_stored()
        return web.Response(status=200)


def _update_in(body: bytes) -> dict[str, Any] | None:
    """The update the body carries, or None if it is not one (bad JSON, no update_id)."""
    try:
        update = json.loads(body)
    except (ValueError, RecursionError):
        return None
    if not isinstance(update, dict):
        return None
    update_id = update.get("update_id")
    if isinstance(update_id, bool) or not isinstance(update_id, int):
        return None
    if not 0 <= update_id <= _MAX_UPDATE_ID:
        return None
    return update


def _refused(status: int, what: str) -> web.Response:
    log.warning("Webhook request refused (%s): %s", status, what)
    return web.Response(status=status)
