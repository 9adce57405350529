"""PostgreSQL connections are checked before use only when they have sat idle.

SQLAlchemy's ``pool_pre_ping`` sends a round trip before every checkout, so that a
restarted server does not hand out dead connections. A busy bot checks a connection out
more than once per update and gives it back a few milliseconds later: the ping was 2.5 %
of its CPU under load (``docs/performance.md``), and a round trip of latency each time.

Here a connection given back less than :data:`IDLE_PING_AFTER` seconds ago goes out
unchecked (it has just worked; the bypass window of HikariCP, Java's common pool). One
idle for longer is pinged first; when the ping finds it dead, the pool opens a fresh
one in its place (raising ``DisconnectionError`` in a ``checkout`` listener does that).
If the server restarts while connections are busy, the first statement on a dead one
fails as it would with a ping: SQLAlchemy then drops every connection the pool holds,
and the inbox runs that update again (``bot/app/runtime/handling.py``).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from sqlalchemy import event, exc
from sqlalchemy.ext.asyncio import AsyncEngine

IDLE_PING_AFTER = 1.0  # seconds
_RETURNED_AT = "returned_at"


def install(
    engine: AsyncEngine,
    *,
    idle_after: float | None = None,
    clock: Callable[[], float] = time.monotonic,
) -> None:
    """Ping a connection at checkout when it was given back ``idle_after`` seconds ago or
    more (:data:`IDLE_PING_AFTER` by default; a new connection is not pinged).
    ``clock``: seconds, monotonic."""
    window = IDLE_PING_AFTER if idle_after is None else idle_after
    pool = engine.sync_engine.pool
    dialect = engine.dialect

    @event.listens_for(pool, "checkin")
    def _returned(_dbapi_connection: Any, record: Any) -> None:
        # ``info`` lives as long as this DBAPI connection: a replaced one starts empty.
        record.info[_RETURNED_AT] = clock()

    @event.listens_for(pool, "checkout")
    def _alive(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        returned_at = record.info.get(_RETURNED_AT)
        if returned_at is None or clock() - returned_at < window:
            return
        try:
            dialect.do_ping(dbapi_connection)
        except dialect.loaded_dbapi.Error as error:
            if dialect.is_disconnect(error, dbapi_connection, None):
                raise exc.DisconnectionError("the connection was closed while idle") from error
            raise
