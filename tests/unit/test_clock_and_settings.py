"""The injected clock and the process settings."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.clock import ManualClock, SystemClock
from bot.config.settings import DEFAULT_TELEGRAM_API_URL, MissingTokenError, Settings


def test_manual_clock_moves_only_forward_when_told() -> None:
    clock = ManualClock(datetime(2026, 1, 1, tzinfo=UTC))
    assert clock.now() == datetime(2026, 1, 1, tzinfo=UTC)
    clock.advance(hours=24)
    assert clock.now() == datetime(2026, 1, 2, tzinfo=UTC)
    with pytest.raises(ValueError):
        clock.advance(timedelta(seconds=-1))
    with pytest.raises(ValueError):
        ManualClock(datetime(2026, 1, 1))  # naive


def test_system_clock_is_aware_utc() -> None:
    assert SystemClock().now().tzinfo is UTC


def test_defaults_need_no_setup(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)
    for name in ("BOT_TOKEN", "DATABASE_URL", "TELEGRAM_API_URL", "BOT_CONFIG", "LOG_LEVEL"):
        monkeypatch.delenv(name, raising=False)
    settings = Settings()
    assert settings.database_url == "sqlite+aiosqlite:///data/resident-bot.sqlite3"
    assert settings.telegram_api_url == DEFAULT_TELEGRAM_API_URL
    assert settings.bot_config.name == "organisation.toml" and settings.bot_config.exists()
    with pytest.raises(MissingTokenError):
        _ = settings.token


def test_env_file_and_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("BOT_TOKEN", raising=False)
    (tmp_path / ".env").write_text(
        "BOT_TOKEN=123456:ABCDEFGHIJKLMNOPQRSTUVWXYZ\nLOG_LEVEL=debug\n"
        "TELEGRAM_API_URL=http://127.0.0.1:8081/\n",
        encoding="utf-8",
    )
    monkeypatch.setenv("DATABASE_URL", "postgresql+asyncpg://u@h/db")
    monkeypatch.setenv("DATABASE_POOL_SIZE", "7")
    settings = Settings()
    assert (settings.database_pool_size, settings.database_max_overflow) == (7, 10)
    assert settings.token == "123456:ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    assert settings.log_level == "DEBUG"
    assert settings.telegram_api_url == "http://127.0.0.1:8081"
    assert not settings.is_sqlite
    assert "ABCDEFGHIJ" not in repr(settings)  # the token is a secret even in repr
