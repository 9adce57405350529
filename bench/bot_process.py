"""Runs ``resident-bot run`` in this process, counting SQL statements (for bench/load.py).

Every statement the process sends to the database is counted by an SQLAlchemy event on
all engines; the count is written to the file named by ``RSB_BENCH_SQL_COUNT`` twice a
second and at exit, so the benchmark reads statements per update without touching the
bot's own code.

    RSB_BENCH_SQL_COUNT=/tmp/sql.count python -m bench.bot_process run
"""

from __future__ import annotations

import os
import sys
import threading
import time
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Engine

from bot.app.cli.main import main

_count = 0


def _counted(*_args: Any) -> None:
    global _count
    _count += 1


def _write(path: Path) -> None:
    path.write_text(str(_count))


def _keep_writing(path: Path) -> None:
    while True:
        _write(path)
        time.sleep(0.5)


if __name__ == "__main__":
    target = os.environ.get("RSB_BENCH_SQL_COUNT")
    if target:
        event.listen(Engine, "before_cursor_execute", _counted)
        threading.Thread(target=_keep_writing, args=(Path(target),), daemon=True).start()
    try:
        code = main(sys.argv[1:])
    finally:
        if target:
            _write(Path(target))
    raise SystemExit(code)
