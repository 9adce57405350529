"""An upload Telegram refuses for now is made again, a few times; other refusals are not."""

from __future__ import annotations

from typing import Any

import pytest
from aiogram.exceptions import TelegramBadRequest, TelegramRetryAfter, TelegramServerError
from aiogram.methods import SendDocument
from aiogram.types import BufferedInputFile

from bot.i18n import translate
from bot.presentation import uploads

METHOD = SendDocument(chat_id=7, document=BufferedInputFile(b"{}", filename="my-data.json"))


class FlakyBot:
    """Fails with the given errors in turn, then answers ``"sent"``."""

    def __init__(self, *errors: Exception) -> None:
        self.errors = list(errors)
        self.calls = 0

    async def __call__(self, method: Any) -> str:
        assert method is METHOD
        self.calls += 1
        if self.errors:
            raise self.errors.pop(0)
        return "sent"


class Waits:
    def __init__(self) -> None:
        self.seconds: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.seconds.append(seconds)


def server_error() -> TelegramServerError:
    return TelegramServerError(METHOD, "Bad Gateway")


def retry_after(seconds: int) -> TelegramRetryAfter:
    return TelegramRetryAfter(METHOD, "Too Many Requests", retry_after=seconds)


async def upload(bot: FlakyBot, waits: Waits) -> Any:
    return await uploads.upload(bot, METHOD, sleep=waits)  # type: ignore[arg-type]


async def test_refused_for_now_it_is_made_again_after_the_pause_telegram_asks_for() -> None:
    bot, waits = FlakyBot(retry_after(5), server_error()), Waits()
    assert await upload(bot, waits) == "sent"
    assert bot.calls == 3
    assert waits.seconds == [5, 3.0]  # the pause grows with each attempt


async def test_it_gives_up_after_three_attempts() -> None:
    bot, waits = FlakyBot(server_error(), server_error(), server_error()), Waits()
    with pytest.raises(TelegramServerError):
        await upload(bot, waits)
    assert bot.calls == 3
    assert waits.seconds == [1.0, 3.0]


@pytest.mark.parametrize(
    "error",
    [
        TelegramBadRequest(METHOD, "Bad Request: file is too big"),
        retry_after(int(uploads.LONGEST_WAIT_SECONDS) + 1),  # nobody waits that long
    ],
)
async def test_other_refusals_are_not_made_again(error: Exception) -> None:
    bot, waits = FlakyBot(error), Waits()
    with pytest.raises(type(error)):
        await upload(bot, waits)
    assert (bot.calls, waits.seconds) == (1, [])


def test_the_apology_outside_an_update_is_in_the_default_language() -> None:
    assert uploads.file_not_sent() == translate("zh_CN", uploads.FILE_NOT_SENT)
