"""Runs ``resident-bot run`` in this process, counting SQL statements (for bench/load.py).

Every statement the process sends to the database is counted by an SQLAlchemy event on
all engines (``BEGIN`` and ``COMMIT`` are not: SQLite's driver sends them as statements,
asyncpg does not, and the two databases' figures would not compare); the count is
written to the file named by ``RSB_BENCH_SQL_COUNT`` twice a second and at exit, so
the benchmark reads statements per update without touching the bot's own code. The
file's second line is the time the garbage collector has taken so far (seconds, from
``gc.callbacks``).

    RSB_BENCH_SQL_COUNT=/tmp/sql.count python -m bench.bot_process run

With ``RSB_BENCH_SQL_LOG=/tmp/sql.log`` every statement's text is tallied too, and the
tally (most frequent first: count, then the statement on one line) is kept written there
with the count: which statements an update costs.

With ``RSB_BENCH_PROFILE=/tmp/bot.pstats`` the main thread runs under cProfile and its
statistics are written there at exit (read them with ``python -m pstats``).
"""

from __future__ import annotations

import cProfile
import gc
import os
import sys
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Engine

from bot.app.cli.main import main
from storage.statements import is_transaction_control

_count = 0
_texts: Counter[str] = Counter()
_gc_seconds = 0.0
_gc_started = 0.0


def _counted(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
    global _count
    if not is_transaction_control(statement):  # as on PostgreSQL, where asyncpg sends none
        _count += 1


def _tallied(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
    _texts[" ".join(statement.split())] += 1


def _write_tally(path: Path) -> None:
    tally = Counter(dict(_texts))  # a copy taken at once: the main thread keeps counting
    path.write_text("".join(f"{n:7d}  {text}\n" for text, n in tally.most_common()))


def _time_gc(phase: str, _info: dict[str, Any]) -> None:
    global _gc_seconds, _gc_started
    if phase == "start":
        _gc_started = time.perf_counter()
    else:
        _gc_seconds += time.perf_counter() - _gc_started


def _write(path: Path) -> None:
    path.write_text(f"{_count}\n{_gc_seconds:.6f}\n")


def _keep_writing(path: Path, tally_to: Path | None) -> None:
    while True:
        _write(path)
        if tally_to is not None:
            _write_tally(tally_to)
        time.sleep(0.5)


if __name__ == "__main__":
    target = os.environ.get("RSB_BENCH_SQL_COUNT")
    tally_to = os.environ.get("RSB_BENCH_SQL_LOG")
    if tally_to:
        event.listen(Engine, "before_cursor_execute", _tallied)
    if target:
        event.listen(Engine, "before_cursor_execute", _counted)
        gc.callbacks.append(_time_gc)
        threading.Thread(
            target=_keep_writing,
            args=(Path(target), Path(tally_to) if tally_to else None),
            daemon=True,
        ).start()
    profile_to = os.environ.get("RSB_BENCH_PROFILE")
    profiler = cProfile.Profile() if profile_to else None
    try:
        if profiler is not None:
            profiler.enable()
        code = main(sys.argv[1:])
    finally:
        if profiler is not None and profile_to:
            profiler.disable()
            profiler.dump_stats(profile_to)
        if target:
            _write(Path(target))
        if tally_to:
            _write_tally(Path(tally_to))
    raise SystemExit(code)
