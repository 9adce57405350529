"""Secrets never reach the logs, not even inside tracebacks."""

from __future__ import annotations

import logging

from bot.app.logging_setup import RedactingFormatter

TOKEN = "123456789:AAEhBOweik6ad9r_QXMENQjcrGbqCr4K-ra"


def make_record(message: str, *args: object, exc: bool = False) -> logging.LogRecord:
    exc_info = None
    if exc:
        try:
            raise RuntimeError(f"POST https://api.telegram.org/bot{TOKEN}/getMe failed")
        except RuntimeError:
            import sys

            exc_info = sys.exc_info()
    return logging.LogRecord("t", logging.ERROR, __file__, 1, message, args, exc_info)


def test_configured_secret_and_any_token_shape_are_redacted() -> None:
    formatter = RedactingFormatter("%(message)s", secrets=["s3cret-value"])
    line = formatter.format(make_record("token %s and %s", TOKEN, "s3cret-value", exc=True))
    assert TOKEN not in line and "s3cret-value" not in line
    assert "***" in line and "RuntimeError" in line


def test_short_values_are_not_treated_as_secrets() -> None:
    formatter = RedactingFormatter("%(message)s", secrets=[":", "ab"])
    assert formatter.format(make_record("at 21:16:04 ab")) == "at 21:16:04 ab"


def test_json_lines_are_one_object_each_with_the_secrets_redacted() -> None:
    import json

    from bot.app.logging_setup import JsonFormatter

    formatter = JsonFormatter(secrets=["s3cret-value"])
    record = make_record("token %s and %s\nsecond line", TOKEN, "s3cret-value", exc=True)
    line = formatter.format(record)

    assert "\n" not in line
    entry = json.loads(line)
    assert set(entry) == {"time", "level", "logger", "message", "exception"}
    assert entry["level"] == "ERROR" and entry["logger"] == "t"
    assert entry["message"] == "token *** and ***\nsecond line"
    assert "RuntimeError" in entry["exception"] and "***" in entry["exception"]
    assert TOKEN not in line and "s3cret-value" not in line
    assert entry["time"].endswith("+00:00")


def test_log_format_setting_picks_the_json_formatter() -> None:
    from bot.app.logging_setup import JsonFormatter, configure_logging

    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    try:
        configure_logging("INFO", [TOKEN], log_format="json")
        assert isinstance(root.handlers[0].formatter, JsonFormatter)
        configure_logging("INFO", [TOKEN])
        formatter = root.handlers[0].formatter
        assert isinstance(formatter, RedactingFormatter)
        assert not isinstance(formatter, JsonFormatter)
    finally:
        root.handlers[:] = handlers
        root.setLevel(level)
