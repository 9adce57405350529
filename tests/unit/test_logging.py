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
