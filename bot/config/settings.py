"""Process settings: environment variables and an optional ``.env`` file.

Everything an operator sets per deployment lives here; everything about the
organisation (units, staff, categories, SLA) lives in the organisation file
named by ``BOT_CONFIG``.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_TELEGRAM_API_URL = "https://api.telegram.org"
DEFAULT_SQLITE_PATH = Path("data") / "resident-bot.sqlite3"
EXAMPLE_ORG_FILE = Path(__file__).parents[1] / "examples" / "organisation.toml"
# What Telegram accepts as a webhook's secret_token.
WEBHOOK_SECRET_PATTERN = re.compile(r"[A-Za-z0-9_-]{1,256}")


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
    # ``json``: one JSON object per log line (for a log collector); secrets redacted alike.
    log_format: Literal["text", "json"] = "text"
    # Polling mode: serve GET /healthz and /metrics on HEALTH_HOST:HEALTH_PORT (unset: no
    # such server; 0: any free port). In webhook mode the webhook server serves them.
    health_host: str = "127.0.0.1"
    health_port: int | None = Field(default=None, ge=0, le=65535)

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
    # Their transactions: at most ``database_pool_size`` at once (``runtime/worker.py``).
    max_concurrent_chats: int = Field(default=64, ge=1)
    # Database connections kept open, and how many more a peak may open (closed as soon as
    # given back), see ``storage.db.PoolSize``. SQLAlchemy's 5 and 10 made a busy worker
    # open and close connections all the time. Several instances on PostgreSQL: keep the
    # sum of both over all of them under the server's ``max_connections`` (100 by default).
    database_pool_size: int = Field(default=20, ge=1)
    database_max_overflow: int = Field(default=10, ge=0)
    # At start, build the statistics once over a day long past, so that the first /stats
    # of the process finds its statements compiled (tests turn it off: each test's new
    # engine would compile them again).
    stats_warm_up: bool = True
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
    # Several instances on one PostgreSQL database: seconds between a standby's attempts
    # to take the lead (and the leader's checks that it still holds it).
    leader_check_interval: float = Field(default=2.0, gt=0)
    # Webhook mode (``resident-bot webhook``): Telegram POSTs each update to WEBHOOK_URL +
    # WEBHOOK_PATH (the public HTTPS address of a proxy in front of this process), which
    # listens on WEBHOOK_HOST:WEBHOOK_PORT; WEBHOOK_SECRET is required there (Telegram
    # sends it in X-Telegram-Bot-Api-Secret-Token: 1-256 of A-Z a-z 0-9 _ -).
    webhook_url: str | None = None
    webhook_secret: SecretStr | None = None
    webhook_host: str = "127.0.0.1"
    webhook_port: int = Field(default=8080, ge=0, le=65535)  # 0: any free port (tests)
    webhook_path: str = "/telegram"

    @field_validator("log_level", mode="before")
    @classmethod
    def _upper_log_level(cls, value: object) -> object:
        return value.upper() if isinstance(value, str) else value

    @field_validator("log_format", mode="before")
    @classmethod
    def _lower_log_format(cls, value: object) -> object:
        return value.strip().lower() if isinstance(value, str) else value

    @field_validator("telegram_api_url")
    @classmethod
    def _strip_slash(cls, value: str) -> str:
        return value.rstrip("/")

    @field_validator("webhook_url")
    @classmethod
    def _webhook_url(cls, value: str | None) -> str | None:
        value = (value or "").strip().rstrip("/")
        if value and not value.startswith(("https://", "http://")):
            raise ValueError("WEBHOOK_URL must be an http(s):// address")
        return value or None

    @field_validator("webhook_secret")
    @classmethod
    def _webhook_secret(cls, value: SecretStr | None) -> SecretStr | None:
        if value is None or not value.get_secret_value():
            return None  # unset (an empty WEBHOOK_SECRET= line too)
        if not WEBHOOK_SECRET_PATTERN.fullmatch(value.get_secret_value()):
            raise ValueError("WEBHOOK_SECRET must be 1-256 characters of A-Z a-z 0-9 _ -")
        return value

    @field_validator("webhook_path")
    @classmethod
    def _webhook_path(cls, value: str) -> str:
        return "/" + value.strip().strip("/")

    @property
    def webhook_endpoint(self) -> str:
        """The address Telegram is told to POST updates to (WEBHOOK_URL + WEBHOOK_PATH)."""
        if not self.webhook_url:
            raise MissingWebhookSetting("WEBHOOK_URL")
        return self.webhook_url + self.webhook_path

    @property
    def webhook_secret_token(self) -> str:
        if self.webhook_secret is None:
            raise MissingWebhookSetting("WEBHOOK_SECRET")
        return self.webhook_secret.get_secret_value()

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


class MissingWebhookSetting(RuntimeError):
    """A setting webhook mode needs (WEBHOOK_URL, WEBHOOK_SECRET) is not set."""
