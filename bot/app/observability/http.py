"""``GET /healthz`` and ``GET /metrics`` over HTTP.

:func:`routes` gives the two routes for any aiohttp application (the webhook server
mounts them beside its webhook); in polling mode, with ``HEALTH_PORT`` set, the
application runs a :class:`HealthServer` serving just these.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from bot.app.observability import health

if TYPE_CHECKING:
    from bot.app.application import Application

log = logging.getLogger(__name__)


def routes(app: Application) -> list[web.RouteDef]:
    async def healthz(_request: web.Request) -> web.Response:
        found = await health.check(app)
        return web.json_response(found.body, status=found.status_code)

    async def metrics(_request: web.Request) -> web.Response:
        if app.started:
            await health.read_backlog(app)  # the backlog gauges, as of now
        return web.Response(
            body=generate_latest(app.metrics.registry),
            headers={"Content-Type": CONTENT_TYPE_LATEST},
        )

    return [web.get("/healthz", healthz), web.get("/metrics", metrics)]


def add_routes(web_app: web.Application, app: Application) -> None:
    web_app.add_routes(routes(app))


class HealthServer:
    """A small HTTP server with :func:`routes` only (polling mode)."""

    def __init__(self, app: Application, host: str, port: int) -> None:
        self._app = app
        self._host = host
        self._port = port
        self._runner: web.AppRunner | None = None
        self.port: int | None = None  # the port bound (``HEALTH_PORT=0``: one chosen)

    async def start(self) -> None:
        web_app = web.Application()
        add_routes(web_app, self._app)
        self._runner = runner = web.AppRunner(web_app, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, self._host, self._port)
        await site.start()
        self.port = runner.addresses[0][1] if runner.addresses else self._port
        log.info("Health and metrics at http://%s:%s/healthz, /metrics", self._host, self.port)

    @property
    def url(self) -> str:
        return f"http://{self._host}:{self.port}"

    async def stop(self) -> None:
        if self._runner is not None:
            runner, self._runner = self._runner, None
            await runner.cleanup()
