"""Files the bot uploads — a resident's /mydata copy, a manager's /stats chart and /export
file — cannot wait in the outbox as messages do: their bytes are not stored. A call
Telegram refuses for now (a 429 with a short ``retry_after``, a 5xx, a time-out) is made
again here, a few times; when it still fails the person is told, in their language, that
the file could not be sent and to ask again, so nothing is lost without a word.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from aiogram import Bot
from aiogram.exceptions import TelegramRetryAfter
from aiogram.methods.base import TelegramMethod
from aiogram.utils.i18n.context import get_i18n

from bot.i18n import DEFAULT_LOCALE, N_, translate
from bot.presentation.telegram_errors import is_network_outage

T = TypeVar("T")

ATTEMPTS = 3
# A longer pause Telegram asks for is not waited out with a person waiting for the file.
LONGEST_WAIT_SECONDS = 30.0
_BACKOFF_SECONDS = (1.0, 3.0)

FILE_NOT_SENT = N_("The file could not be sent just now. Please ask for it again.")


async def upload(
    bot: Bot,
    method: TelegramMethod[T],
    *,
    sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep,
) -> T:
    """``bot(method)``, made again (up to :data:`ATTEMPTS` times in all) while Telegram
    refuses it for now; the last refusal, or any other error, is raised."""
    for attempt in range(1, ATTEMPTS + 1):
        try:
            return await bot(method)
        except TelegramRetryAfter as error:
            if attempt == ATTEMPTS or error.retry_after > LONGEST_WAIT_SECONDS:
                raise
            await sleep(error.retry_after)
        except Exception as error:
            if attempt == ATTEMPTS or not is_network_outage(error):
                raise
            await sleep(_BACKOFF_SECONDS[attempt - 1])
    raise AssertionError("unreachable")  # pragma: no cover


def file_not_sent() -> str:
    """The apology, in the language of the update being handled (aiogram's i18n)."""
    try:
        return get_i18n().gettext(FILE_NOT_SENT)
    except LookupError:  # outside an update
        return translate(DEFAULT_LOCALE, FILE_NOT_SENT)
