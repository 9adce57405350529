"""Logging with secrets scrubbed from every line, tracebacks included.

``LOG_FORMAT=text`` (the default) writes readable lines; ``LOG_FORMAT=json`` writes one
JSON object per line (``time``, ``level``, ``logger``, ``message``, and ``exception``
with the traceback if any) for a log collector. Both are redacted the same way.
"""

from __future__ import annotations

import json
import logging
import re
from datetime import UTC, datetime

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


class JsonFormatter(RedactingFormatter):
    """One JSON object per line; every string in it redacted."""

    def __init__(self, secrets: list[str]) -> None:
        super().__init__("%(message)s", secrets)

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            # The record's own creation time: a log line says when it happened, really.
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": self.redact(record.getMessage()),
        }
        if record.exc_info:
            if not record.exc_text:
                record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            entry["exception"] = self.redact(record.exc_text)
        if record.stack_info:
            entry["stack"] = self.redact(self.formatStack(record.stack_info))
        # json.dumps escapes newlines: one record, one line, whatever the message holds.
        return json.dumps(entry, ensure_ascii=False)


def configure_logging(
    level: str, secrets: list[str] | None = None, *, log_format: str = "text"
) -> None:
    handler = logging.StreamHandler()
    handler.setFormatter(
        JsonFormatter(secrets or [])
        if log_format == "json"
        else RedactingFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s", secrets or [])
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
