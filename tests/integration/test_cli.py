"""The ``resident-bot`` command as an operator uses it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.db import ON_POSTGRES

EXAMPLE = Path(__file__).resolve().parents[2] / "bot" / "examples" / "organisation.toml"


def run_cli(
    *args: str, cwd: Path, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess:
    base = {
        k: v for k, v in os.environ.items() if k not in {"BOT_TOKEN", "DATABASE_URL", "BOT_CONFIG"}
    }
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        cwd=cwd,
        env={**base, **(env or {}), "PYTHONPATH": str(EXAMPLE.parents[2])},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_run_without_token_explains_how_to_get_one(tmp_path: Path) -> None:
    result = run_cli("run", cwd=tmp_path)
    assert result.returncode == 2
    assert (
        "BOT_TOKEN" in result.stderr and "@BotFather" in result.stderr and ".env" in result.stderr
    )
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "data").exists()  # stopped before touching anything


def test_check_config_accepts_the_shipped_example(tmp_path: Path) -> None:
    result = run_cli("check-config", "--file", str(EXAMPLE), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "OK" in result.stdout


def test_check_config_names_every_problem(tmp_path: Path) -> None:
    broken = tmp_path / "broken.toml"
    broken.write_text(
        EXAMPLE.read_text(encoding="utf-8")
        + '\n[[projects]]\nkey = "dup"\nname = "x"\nregion = "nowhere"\nkind = "residential"\n'
        'ticket_prefix = "DP"\n\n[[staff]]\ntelegram_id = 77\nname = "y"\nrole = "agent"\n'
        'unit = "ghost"\n',
        encoding="utf-8",
    )
    result = run_cli("check-config", "--file", str(broken), cwd=tmp_path)
    assert result.returncode == 1
    assert "nowhere" in result.stderr and "ghost" in result.stderr
    assert "broken.toml:" in result.stderr  # each problem says where it is


@pytest.mark.skipif(ON_POSTGRES, reason="exercises the default SQLite file location")
def test_migrate_creates_the_default_sqlite_database(tmp_path: Path) -> None:
    result = run_cli("migrate", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "data" / "resident-bot.sqlite3").exists()
    assert "revision" in result.stdout


def test_sync_config_loads_the_example(tmp_path: Path, database_url: str) -> None:
    result = run_cli(
        "sync-config", "--file", str(EXAMPLE), cwd=tmp_path, env={"DATABASE_URL": database_url}
    )
    assert result.returncode == 0, result.stderr
    assert "organisation units" in result.stdout


@pytest.mark.parametrize("token", [":", "not-a-token", "123:", "12 34:abc"])
def test_run_with_a_malformed_token_says_so(tmp_path: Path, token: str) -> None:
    result = run_cli("run", cwd=tmp_path, env={"BOT_TOKEN": token})
    assert result.returncode == 2
    assert "does not look like a Telegram bot token" in result.stderr
    assert "Traceback" not in result.stderr
