"""A fake Telegram Bot API server for end-to-end tests, benchmarks and local runs.

It is a real aiohttp HTTP server on 127.0.0.1 (random port) that the *unmodified*
bot talks to.  Point aiogram at it::

    from aiogram import Bot
    from aiogram.client.session.aiohttp import AiohttpSession
    from aiogram.client.telegram import TelegramAPIServer
    from fake_telegram import FakeTelegramServer

    async with FakeTelegramServer() as server:
        session = AiohttpSession(api=TelegramAPIServer.from_base(server.base_url))
        bot = Bot(server.token, session=session)
        alice = server.user(1001, "Alice")
        server.send_text(alice, "/start")          # queued for getUpdates
        # ... run the dispatcher (polling) ...
        call = await server.wait_for("sendMessage", chat_id=alice.id)
        assert "欢迎" in server.last_message(alice.id).text
        await bot.session.close()

As a pytest fixture (pytest-asyncio, ``asyncio_mode=auto``)::

    @pytest.fixture
    async def tg():
        async with FakeTelegramServer() as server:
            yield server

What it gives tests:

* Bot API methods the bot uses, with Telegram's validation and exact error texts
  (so aiogram raises its normal ``TelegramBadRequest``/``TelegramRetryAfter``/...);
* every call recorded (``calls``, ``calls_of``, ``wait_for``);
* chats, messages (with edit history), files and callback answers kept in memory;
* user actions that enqueue updates (``send_text``, ``press``, ``send_album`` ...);
* fault injection (``fail_next``, ``delay_next``, ``block_chat``) and optional
  rate-limit enforcement.

Standalone: ``python -m fake_telegram --port 8081`` prints the base URL.

Known limitations: only ``parse_mode="HTML"`` is parsed (Markdown text is stored
verbatim, without entities); text length is counted in UTF-16 units of the visible
text after HTML parsing and whitespace trimming; entities Telegram detects on its
own (URLs, @mentions, hashtags) are not added, except ``bot_command`` in pushed
user messages; inline-mode messages, payments, polls, webhooks delivery and
business connections are not modelled; photos have a single size.
"""

from fake_telegram.actions import SELF
from fake_telegram.errors import ApiError
from fake_telegram.html_check import HtmlParseError, check_html, parse_html
from fake_telegram.media import make_jpeg
from fake_telegram.models import (
    GROUP_ANONYMOUS_BOT,
    GROUP_ANONYMOUS_BOT_ID,
    ApiCall,
    CallbackAnswer,
    ChatRecord,
    FakeUser,
    FileDetails,
    StoredFile,
    StoredMessage,
    UploadedFile,
)
from fake_telegram.rate_limits import Limit, RateLimiter
from fake_telegram.server import FakeTelegramServer

__all__ = [
    "GROUP_ANONYMOUS_BOT",
    "GROUP_ANONYMOUS_BOT_ID",
    "SELF",
    "ApiCall",
    "ApiError",
    "CallbackAnswer",
    "ChatRecord",
    "FakeTelegramServer",
    "FakeUser",
    "FileDetails",
    "HtmlParseError",
    "Limit",
    "RateLimiter",
    "StoredFile",
    "StoredMessage",
    "UploadedFile",
    "check_html",
    "make_jpeg",
    "parse_html",
]
