"""The real ``resident-bot run`` command in a subprocess, against the fake Bot API served
by the test: for tests that kill it (a real crash) or watch it exit."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from fake_telegram import FakeTelegramServer
from tests.conftest import TEST_ENCRYPTION_KEY
from tests.e2e.conftest import TOKEN

ROOT = Path(__file__).resolve().parents[2]

StartBot = Callable[..., subprocess.Popen]


def bot_env(
    database_url: str, telegram: FakeTelegramServer, org_file: Path, **settings: str
) -> dict[str, str]:
    """The process's environment: this test's database, Bot API and organisation file,
    quick polling, then ``settings`` (environment names) over all of it."""
    return {
        **{k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "BOT_CONFIG"}},
        "BOT_TOKEN": TOKEN,
        "DATABASE_URL": database_url,
        "TELEGRAM_API_URL": telegram.base_url,
        "BOT_CONFIG": str(org_file),
        "POLLING_TIMEOUT": "1",
        "WORKER_POLL_INTERVAL": "0.05",
        "OUTBOX_POLL_INTERVAL": "0.05",
        "DATA_ENCRYPTION_KEY": TEST_ENCRYPTION_KEY,
        "PYTHONPATH": str(ROOT),
        **settings,
    }


@contextmanager
def bot_processes(cwd: Path) -> Iterator[StartBot]:
    """``start(env, log)`` runs one bot (its stderr to ``log``; ``command="webhook"`` for
    webhook mode); every one still running at the end is killed."""
    processes: list[subprocess.Popen] = []

    def start(env: dict[str, str], log: Path, command: str = "run") -> subprocess.Popen:
        process = subprocess.Popen(
            [sys.executable, "-m", "bot", command],
            cwd=cwd,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=open(log, "wb"),
        )
        processes.append(process)
        return process

    try:
        yield start
    finally:
        for process in processes:
            if process.poll() is None:
                process.kill()
            process.wait(timeout=10)
