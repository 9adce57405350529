"""Taking the test's database away from the bot, and giving it back.

On SQLite the outage is another connection holding the file's write lock longer
than the bot's busy timeout (shortened by a setting so the test need not wait 30 s);
on PostgreSQL the bot talks to the server through a TCP proxy (tests/e2e/tcp_proxy.py)
that drops every connection and refuses new ones, as a server restart does. The
shared PostgreSQL server itself is never touched.
"""

from __future__ import annotations

import asyncio
import sqlite3

from sqlalchemy.engine import make_url

from tests.db import ON_POSTGRES
from tests.e2e.tcp_proxy import TcpProxy

BUSY_TIMEOUT = 0.2  # seconds a statement waits for the lock on SQLite before it fails


class DatabaseOutage:
    """Makes the test's database unavailable to the bot, and available again."""

    def __init__(self, database_url: str) -> None:
        self._database_url = database_url
        self._proxy: TcpProxy | None = None
        self._holder: sqlite3.Connection | None = None
        self.url = database_url  # what the bot is given

    async def prepare(self) -> None:
        if ON_POSTGRES:
            url = make_url(self._database_url)
            self._proxy = TcpProxy(url.host or "127.0.0.1", url.port or 5432)
            await self._proxy.start()
            self.url = url.set(host="127.0.0.1", port=self._proxy.port).render_as_string(
                hide_password=False
            )

    async def begin(self) -> None:
        if self._proxy is not None:
            await self._proxy.cut()
            return
        path = make_url(self._database_url).database
        assert path is not None
        self._holder = sqlite3.connect(
            path, isolation_level=None, timeout=30, check_same_thread=False
        )
        await asyncio.to_thread(self._holder.execute, "BEGIN EXCLUSIVE")

    async def end(self) -> None:
        if self._proxy is not None:
            await self._proxy.restore()
        if self._holder is not None:
            holder, self._holder = self._holder, None
            await asyncio.to_thread(holder.rollback)
            holder.close()

    async def close(self) -> None:
        await self.end()
        if self._proxy is not None:
            await self._proxy.stop()
