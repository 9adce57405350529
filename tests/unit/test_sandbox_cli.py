"""``make run`` without a token starts the sandbox: the token check and the Makefile's choice."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from bot.app.sandbox.cli import token_configured

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def no_token(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """No BOT_TOKEN in the environment and no .env where we stand."""
    monkeypatch.delenv("BOT_TOKEN", raising=False)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_a_token_in_the_environment_or_env_file_counts_and_none_or_blank_does_not(
    no_token: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert not token_configured()
    monkeypatch.setenv("BOT_TOKEN", "   ")
    assert not token_configured()
    monkeypatch.setenv("BOT_TOKEN", "123456:ABC")
    assert token_configured()
    monkeypatch.delenv("BOT_TOKEN")
    (no_token / ".env").write_text("BOT_TOKEN=123456:ABC\n", encoding="utf-8")
    assert token_configured()


def test_a_broken_setting_counts_as_configured_so_that_run_reports_it(
    no_token: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("POLLING_TIMEOUT", "not a number")
    assert token_configured()  # no token, but `run` says what is wrong with the settings


def _environment(**extra: str) -> dict[str, str]:
    base = {k: v for k, v in os.environ.items() if k != "BOT_TOKEN"}
    return {**base, "PYTHONPATH": str(REPO), **extra}


def check(cwd: Path, **env: str) -> int:
    command = [sys.executable, "-m", "bot.app.sandbox.cli", "--token-configured"]
    return subprocess.run(command, cwd=cwd, env=_environment(**env), timeout=60).returncode


def test_the_command_line_check_exits_0_with_a_token_and_1_without(tmp_path: Path) -> None:
    assert check(tmp_path) == 1
    assert check(tmp_path, BOT_TOKEN="123456:ABC") == 0


@pytest.fixture
def stub_venv(tmp_path: Path) -> Path:
    """A venv for the Makefile whose python is this one and whose resident-bot only says
    how it was called; already "installed", so make installs nothing."""
    (tmp_path / "pyproject.toml").write_text("", encoding="utf-8")
    bin_dir = tmp_path / "venv" / "bin"
    bin_dir.mkdir(parents=True)
    (bin_dir / "python").write_text(f'#!/bin/sh\nexec "{sys.executable}" "$@"\n')
    (bin_dir / "resident-bot").write_text('#!/bin/sh\necho "resident-bot $*"\n')
    for script in bin_dir.iterdir():
        script.chmod(0o755)
    old = 1_000_000_000
    os.utime(tmp_path / "pyproject.toml", (old, old))
    os.utime(bin_dir / "python", (old, old))
    (tmp_path / "venv" / ".installed").touch()
    return tmp_path


@pytest.mark.skipif(shutil.which("make") is None, reason="needs make")
@pytest.mark.parametrize(
    ("env", "started"),
    [({}, "resident-bot sandbox"), ({"BOT_TOKEN": "123456:ABC"}, "resident-bot run")],
)
def test_make_run_starts_the_sandbox_without_a_token_and_the_bot_with_one(
    stub_venv: Path, env: dict[str, str], started: str
) -> None:
    result = subprocess.run(
        ["make", "-s", "-f", str(REPO / "Makefile"), "run", "VENV=venv"],
        cwd=stub_venv,
        env=_environment(**env),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[-1] == started
    sandbox_said = any("No BOT_TOKEN configured" in line for line in lines)
    assert sandbox_said == (started == "resident-bot sandbox")
