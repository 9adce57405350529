"""Process settings: environment variables and an optional ``.env`` file.

Everything an operator sets per deployment lives here; everything about the
organisation (units, staff, categories, SLA) lives in the organisation file
named by ``BOT_CONFIG``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_TELEGRAM_API_URL = "https://api.telegram.org"
DEFAULT_SQLITE_PATH = Path("data") / "resident-bot.sqlite3"
EXAMPLE_ORG_FILE = Path(__file__).parents[1] / "examples" / "organisation.toml"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_file=".env",
        env_file_encoding="utf-8",
        extra="ignore",
        case_sensitive=False,
    )

    bot_token: SecretStr | None = None
    database_url: str = f"sqlite+aiosqlite:///{DEFAULT_SQLITE_PATH.as_posix()}"
    telegram_api_url: str = DEFAULT_TELEGRAM_API_URL
    bot_config: Path = EXAMPLE_ORG_FILE
    # Fernet keys for personal data at rest, newest first, comma-separated (rotation).
    # Unset with SQLite: a key file is created beside the database on first run.
    data_encryption_key: SecretStr | None = None
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"] = "INFO"

    # Runtime tuning; the defaults suit production, tests shorten them.
    polling_timeout: int = Field(default=25, ge=0, le=50)
    request_timeout: float = Field(default=60.0, gt=0)
    worker_poll_interval: float = Field(default=1.0, gt=0)
    outbox_poll_interval: float = Field(default=1.0, gt=0)
    update_lock_seconds: int = Field(default=120, gt=0)
    update_max_attempts: int = Field(default=5, ge=1)
    outbox_max_attempts: int = Field(default=8, ge=1)
    # Chats handled at once: a chat holds its slot while its replies go out (a Telegram
    # round-trip), not a database connection, so this is well above the pool's size.
    max_concurrent_chats: int = Field(default=64, ge=1)
    # The SLA sweep (warnings, escalations): how often, and tickets per transaction.
    sla_sweep_interval: float = Field(default=30.0, gt=0)
    sla_sweep_batch: int = Field(default=500, ge=1)
    # Telegram's limits, kept by the outbox sender: overall, per group, per chat.
    outbox_per_second: float = Field(default=30.0, gt=0)
    outbox_group_per_minute: int = Field(default=20, ge=1)
    outbox_chat_per_second: float = Field(default=1.0, gt=0)
    # Telegram's paid broadcasts (opt-in, charged in Stars by Telegram): survey campaigns
    # go out with ``allow_paid_broadcast`` at up to ``paid_broadcast_per_second``.
    paid_broadcast: bool = False
    paid_broadcast_per_second: float = Field(default=1000.0, gt=0, le=1000)
    # Database outages. SQLite: seconds a statement waits for another writer before it
    # counts as an outage. Any database: seconds of one outage after which the process
    # gives up and exits non-zero (0: never; it keeps retrying and resumes by itself).
    sqlite_busy_timeout: float = Field(default=30.0, gt=0)
    outage_give_up_seconds: float = Field(default=0.0, ge=0)

    @field_validator("log_level", mode="before")
    @classmethod
    def _upper_log_level(cls, value: object) -> object:
        return value.upper() if isinstance(value, str) else value

    @field_validator("telegram_api_url")
    @classmethod
    def _strip_slash(cls, value: str) -> str:
        return value.rstrip("/")

    @property
    def token(self) -> str:
        if self.bot_token is None or not self.bot_token.get_secret_value().strip():
            raise MissingTokenError
        return self.bot_token.get_secret_value().strip()

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")


class MissingTokenError(RuntimeError):
    """BOT_TOKEN is not set; the CLI turns this into a friendly message."""
