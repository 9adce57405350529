"""Logging with secrets scrubbed from every line, tracebacks included."""

from __future__ import annotations

import logging
import re

# A Bot API token: digits, a colon, 30+ URL-safe characters.
_TOKEN_PATTERN = re.compile(r"(?<!\d)\d{5,}:[A-Za-z0-9_-]{20,}")


class RedactingFormatter(logging.Formatter):
    def __init__(self, fmt: str, secrets: list[str]) -> None:
        super().__init__(fmt)
        # Very short "secrets" would shred ordinary text; real ones are long.
        self._secrets = [s for s in secrets if len(s) >= 8]

    def format(self, record: logging.LogRecord) -> str:
        return self.redact(super().format(record))

    def redact(self, text: str) -> str:
        for secret in self._secrets:
            text = text.replace(secret, "***")
        return _TOKEN_PATTERN.sub("***", text)


def configure_logging(level: str, secrets: list[str] | None = None) -> None:
    handler = logging.StreamHandler()
    handler.setFormatter(
        RedactingFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s", secrets or [])
    )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    apply_logger_levels(level)


# Loggers that print SQL parameters or request bodies (personal data, unit codes) at
# DEBUG/INFO: kept at WARNING whatever LOG_LEVEL says.
DATA_BEARING_LOGGERS = ("aiosqlite", "asyncpg", "sqlalchemy.engine", "sqlalchemy.pool")
# Library chatter (a line per migration plugin, per update): only when debugging.
CHATTY_LOGGERS = ("alembic", "aiogram.event", "apscheduler")


def apply_logger_levels(level: str) -> None:
    for name in DATA_BEARING_LOGGERS:
        logging.getLogger(name).setLevel(logging.WARNING)
    quiet = logging.DEBUG if level == "DEBUG" else logging.WARNING
    for name in CHATTY_LOGGERS:
        logging.getLogger(name).setLevel(quiet)
