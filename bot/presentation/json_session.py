"""Bot API calls with a JSON body.

aiogram's :class:`~aiogram.client.session.aiohttp.AiohttpSession` sends every call as a
form: it dumps the method, JSON-encodes each nested value on its own (``reply_markup``,
``entities``…) and aiohttp then encodes the fields. The Bot API takes an
``application/json`` body as well, and one ``json.dumps`` of the whole call costs about
half as much (``bench/json_session_bench.py``); a busy bot makes a call or two for every
update it handles. A call that uploads a file (an :class:`~aiogram.types.InputFile`)
still goes as a multipart form, the only way to send its bytes.

Where only the id (and chat) of the messages a call sent matter — the replies made after
an update's commit, the outbox's sends (:func:`message_ids_only`) — a successful answer is
read for those alone instead of being validated into aiogram's types (a sent message
comes back whole, its buttons included: a few dozen pydantic models); any other answer,
and every refusal, is checked as usual.

Everything else is aiogram's: the values are prepared by its ``prepare_value`` (the bot's
defaults such as ``parse_mode`` filled in, enums and Telegram objects dumped, empty
values left out), and the answer goes through its ``check_response``, so a 429, a 403 or a
time-out raises the same exceptions as before.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from contextvars import ContextVar
from dataclasses import dataclass
from http import HTTPStatus
from typing import TYPE_CHECKING, Any, cast

from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.exceptions import TelegramNetworkError
from aiogram.methods.base import TelegramType
from aiogram.types import InputFile
from aiohttp import ClientError, ClientTimeout

if TYPE_CHECKING:
    from aiogram import Bot
    from aiogram.methods import TelegramMethod

_JSON = {"Content-Type": "application/json"}
_ids_only: ContextVar[bool] = ContextVar("message_ids_only", default=False)
_NOT_LEAN = object()


@dataclass(frozen=True, slots=True)
class SentChat:
    """Of a sent message's chat, what the senders read."""

    id: int
    type: str | None = None
    is_forum: bool | None = None


@dataclass(frozen=True, slots=True)
class SentMessage:
    """A sent message as :func:`message_ids_only` answers it."""

    message_id: int
    chat: SentChat | None = None


@contextmanager
def message_ids_only() -> Iterator[None]:
    """Within: a call that sends a message answers with a :class:`SentMessage` (or a list
    of them), a ``True`` stays ``True``; errors and every other answer are aiogram's."""
    token = _ids_only.set(True)
    try:
        yield
    finally:
        _ids_only.reset(token)


def _sent(item: Any) -> SentMessage | None:
    if not isinstance(item, dict) or not isinstance(item.get("message_id"), int):
        return None
    chat = item.get("chat")
    if isinstance(chat, dict) and isinstance(chat.get("id"), int):
        return SentMessage(
            item["message_id"], SentChat(chat["id"], chat.get("type"), chat.get("is_forum"))
        )
    return SentMessage(item["message_id"])


def _lean(answer: Any) -> Any:
    """What a successful answer carries, when it is a sent message (or several) or ``True``."""
    if not isinstance(answer, dict) or answer.get("ok") is not True:
        return _NOT_LEAN
    result = answer.get("result")
    if result is True:
        return True
    if isinstance(result, dict):
        one = _sent(result)
        return _NOT_LEAN if one is None else one
    if isinstance(result, list) and result:
        many = [_sent(item) for item in result]
        return _NOT_LEAN if None in many else many
    return _NOT_LEAN


class JsonSession(AiohttpSession):
    """An :class:`AiohttpSession` that posts calls as JSON (see the module)."""

    def json_payload(self, bot: Bot, method: TelegramMethod[Any]) -> dict[str, Any] | None:
        """The call's parameters as a JSON object; None when it uploads a file."""
        files: dict[str, InputFile] = {}
        payload: dict[str, Any] = {}
        for key, value in method.model_dump(warnings=False).items():
            if isinstance(value, datetime.datetime):  # a number, as Telegram documents it
                value = round(value.timestamp())
            prepared = self.prepare_value(value, bot=bot, files=files, _dumps_json=False)
            # The form leaves out what is None or empty; so does the JSON body.
            if prepared is None or prepared == "":
                continue
            payload[key] = prepared
        return None if files else payload

    async def make_request(
        self,
        bot: Bot,
        method: TelegramMethod[TelegramType],
        timeout: int | None = None,  # noqa: ASYNC109 (aiogram's signature)
    ) -> TelegramType:
        payload = self.json_payload(bot, method)
        if payload is None:
            return await super().make_request(bot, method, timeout)
        session = await self.create_session()
        url = self.api.api_url(token=bot.token, method=method.__api_method__)
        try:
            async with session.post(
                url,
                data=self.json_dumps(payload).encode(),
                headers=_JSON,
                timeout=ClientTimeout(total=self.timeout if timeout is None else timeout),
            ) as resp:
                raw_result = await resp.text()
        except TimeoutError as e:
            raise TelegramNetworkError(method=method, message="Request timeout error") from e
        except ClientError as e:
            raise TelegramNetworkError(method=method, message=f"{type(e).__name__}: {e}") from e
        if _ids_only.get() and HTTPStatus.OK <= resp.status <= HTTPStatus.IM_USED:
            with suppress(ValueError):  # not JSON: aiogram's check says so (ClientDecodeError)
                lean = _lean(self.json_loads(raw_result))
                if lean is not _NOT_LEAN:
                    return cast(TelegramType, lean)
        response = self.check_response(
            bot=bot, method=method, status_code=resp.status, content=raw_result
        )
        return cast(TelegramType, response.result)
