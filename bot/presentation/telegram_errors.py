"""Which Bot API errors mean "not now" rather than "not this call"."""

from __future__ import annotations

from aiogram.exceptions import TelegramNetworkError, TelegramServerError


def is_network_outage(error: BaseException) -> bool:
    """The Bot API cannot be reached, or answers with a server error, for now: the call is
    worth making again later. (A 429 is ``TelegramRetryAfter``, with its own pause.)"""
    return isinstance(error, TelegramNetworkError | TelegramServerError | TimeoutError | OSError)
