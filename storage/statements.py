"""Counting SQL statements, for tests and the benchmark.

A :class:`StatementCounter` listens on an engine and counts every statement the
driver executes, and every transaction begun, under the *scope* the running task
is in (a context variable): the update worker runs each batch in the scope
``"update"``, so a test or the benchmark can ask how many statements the updates
cost, apart from what the poller, the outbox sender and the jobs do meanwhile.
``BEGIN``/``COMMIT``/``ROLLBACK`` are counted as transactions, not as statements.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.ext.asyncio import AsyncEngine

_scope: ContextVar[str] = ContextVar("statement_scope", default="other")
_TRANSACTION_CONTROL = ("BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE")


def is_transaction_control(statement: str) -> bool:
    """``BEGIN``, ``COMMIT`` and their kind: SQLite's driver sends them as statements,
    asyncpg does not, so they are counted apart to compare the two databases."""
    return statement.lstrip()[:9].upper().startswith(_TRANSACTION_CONTROL)


@contextmanager
def statement_scope(name: str) -> Iterator[None]:
    """Statements run inside (by this task and the tasks it starts) count under ``name``."""
    token = _scope.set(name)
    try:
        yield
    finally:
        _scope.reset(token)


_COUNTERS_KEY = "statement_counters"


def install(engine: AsyncEngine | Engine) -> None:
    """Listen on ``engine`` once (``storage.db.create_engine`` does it for every engine);
    counters attach to and detach from the list this reads, never to the engine's events,
    which other tasks may be dispatching at that moment."""
    sync = engine.sync_engine if isinstance(engine, AsyncEngine) else engine
    if _COUNTERS_KEY in sync.__dict__:
        return
    counters: list[StatementCounter] = []
    sync.__dict__[_COUNTERS_KEY] = counters

    def on_execute(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if counters:
            control = is_transaction_control(statement)
            for counter in counters:
                counter.count(statement, control)

    def on_begin(_conn: Any) -> None:
        for counter in counters:
            counter.begun()

    event.listen(sync, "before_cursor_execute", on_execute)
    event.listen(sync, "begin", on_begin)


class StatementCounter:
    """Counts statements and transactions per scope while attached to an engine."""

    def __init__(self, engine: AsyncEngine | Engine) -> None:
        install(engine)
        sync = engine.sync_engine if isinstance(engine, AsyncEngine) else engine
        self._counters: list[StatementCounter] = sync.__dict__[_COUNTERS_KEY]
        self.statements: Counter[str] = Counter()
        self.transactions: Counter[str] = Counter()
        self.log: list[tuple[str, str]] = []  # (scope, statement), for a test's message

    def count(self, statement: str, control: bool) -> None:
        if control:
            return
        scope = _scope.get()
        self.statements[scope] += 1
        self.log.append((scope, " ".join(statement.split())[:160]))

    def begun(self) -> None:
        self.transactions[_scope.get()] += 1

    def attach(self) -> StatementCounter:
        self._counters.append(self)
        return self

    def detach(self) -> None:
        self._counters.remove(self)

    def __enter__(self) -> StatementCounter:
        return self.attach()

    def __exit__(self, *_exc: object) -> None:
        self.detach()

    def reset(self) -> None:
        self.statements.clear()
        self.transactions.clear()
        self.log.clear()

    def in_scope(self, scope: str) -> list[str]:
        return [statement for s, statement in self.log if s == scope]


@contextmanager
def counting_statements(engine: AsyncEngine | Engine) -> Iterator[StatementCounter]:
    counter = StatementCounter(engine).attach()
    try:
        yield counter
    finally:
        counter.detach()
