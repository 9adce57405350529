"""The bot's ``JsonSession``: the same calls as aiogram's form session, as one JSON body."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import nullcontext
from datetime import UTC, datetime
from typing import Any

import pytest
from aiogram import Bot, exceptions
from aiogram.client.default import DefaultBotProperties
from aiogram.client.telegram import TelegramAPIServer
from aiogram.enums import ParseMode
from aiogram.types import (
    BufferedInputFile,
    ForumTopic,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InputMediaPhoto,
    LinkPreviewOptions,
    Message,
    MessageEntity,
)
from aiohttp import web

from bot.presentation.json_session import (
    JsonSession,
    SentChat,
    SentMessage,
    message_ids_only,
)
from fake_telegram import ApiError, FakeTelegramServer, FakeUser
from fake_telegram.errors import too_many_requests

from .conftest import make_bot

KEYBOARD = InlineKeyboardMarkup(
    inline_keyboard=[[InlineKeyboardButton(text="接单 Take", callback_data="card:take:7")]]
)


def _json_bot(base_url: str, token: str, timeout: float = 10.0) -> Bot:
    session = JsonSession(api=TelegramAPIServer.from_base(base_url), timeout=timeout)
    return Bot(token, session=session, default=DefaultBotProperties(parse_mode=ParseMode.HTML))


@pytest.fixture
async def json_bot(server: FakeTelegramServer) -> AsyncIterator[Bot]:
    instance = _json_bot(server.base_url, server.token)
    yield instance
    await instance.session.close()


async def test_the_server_sees_what_the_form_would_have_carried(
    json_bot: Bot, server: FakeTelegramServer, alice: FakeUser
) -> None:
    form_bot = make_bot(server)
    form_bot.default = DefaultBotProperties(parse_mode=ParseMode.HTML)
    try:
        for bot in (form_bot, json_bot):
            await bot.send_message(
                alice.id,
                "<b>报修</b> 0123",
                reply_markup=KEYBOARD,
                link_preview_options=LinkPreviewOptions(is_disabled=True),
                disable_notification=False,
            )
            await bot.send_message(
                alice.id,
                "plain",
                parse_mode=None,
                entities=[MessageEntity(type="bold", offset=0, length=5)],
            )
    finally:
        await form_bot.session.close()
    calls = server.calls_of("sendMessage")
    assert len(calls) == 4
    form, json_call = calls[0].params, calls[2].params  # each bot sent both
    assert json_call == form
    assert json_call["parse_mode"] == "HTML"  # the bot's default filled in
    assert json_call["reply_markup"] == {
        "inline_keyboard": [[{"text": "接单 Take", "callback_data": "card:take:7"}]]
    }
    assert json_call["disable_notification"] is False  # a false value is still sent
    assert calls[3].params == calls[1].params
    assert "parse_mode" not in calls[3].params
    shown = server.messages_in(alice.id)
    assert [m.text for m in shown] == ["报修 0123", "plain", "报修 0123", "plain"]


async def test_an_upload_still_goes_as_a_form(
    json_bot: Bot, server: FakeTelegramServer, alice: FakeUser
) -> None:
    document = BufferedInputFile(b"id,name\n1,Alice\n", "report.csv")
    sent = await json_bot.send_document(alice.id, document, caption="月报")
    call = server.calls_of("sendDocument")[0]
    assert call.upload("document").data == b"id,name\n1,Alice\n"
    assert sent.caption == "月报"


@pytest.mark.parametrize("ids_only", [False, True], ids=["answer validated", "id only"])
async def test_refusals_raise_aiograms_exceptions(
    json_bot: Bot, server: FakeTelegramServer, alice: FakeUser, ids_only: bool
) -> None:
    refusals: list[tuple[ApiError | None, type[Exception]]] = [
        (too_many_requests(7), exceptions.TelegramRetryAfter),
        (ApiError(502, "Bad Gateway"), exceptions.TelegramServerError),
        (None, exceptions.TelegramForbiddenError),  # blocked
    ]
    with message_ids_only() if ids_only else nullcontext():
        with pytest.raises(exceptions.TelegramBadRequest, match="message to edit not found"):
            await json_bot.edit_message_text(text="x", chat_id=alice.id, message_id=999)
        for error, raised in refusals:
            if error is None:
                server.block_chat(alice.id)
            else:
                server.fail_next("sendMessage", error)
            with pytest.raises(raised):
                await json_bot.send_message(alice.id, "hello")
    assert server.messages_in(alice.id) == []


async def test_a_late_answer_is_a_network_error(
    server: FakeTelegramServer, alice: FakeUser
) -> None:
    bot = _json_bot(server.base_url, server.token, timeout=0.2)
    server.delay_next("sendMessage", 2.0, apply=False)
    try:
        with pytest.raises(exceptions.TelegramNetworkError, match="timeout"):
            await bot.send_message(alice.id, "hello")
    finally:
        await bot.session.close()


async def test_the_body_is_json_dates_as_numbers_and_an_answer_not_json_is_refused() -> None:
    seen: list[tuple[str, Any]] = []

    async def answer(request: web.Request) -> web.Response:
        seen.append((request.content_type, await request.json()))
        if request.match_info["method"] == "sendMessage":  # a proxy's page, not Telegram
            return web.Response(text="<html>gateway</html>", content_type="text/html")
        return web.json_response({"ok": True, "result": True})

    app = web.Application()
    app.router.add_post("/bot{token}/{method}", answer)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    bot = _json_bot(f"http://127.0.0.1:{port}", "42:TOKEN")
    try:
        until = datetime(2027, 1, 1, tzinfo=UTC)
        assert await bot.ban_chat_member(-100200, 1001, until_date=until) is True
        with message_ids_only(), pytest.raises(exceptions.ClientDecodeError):
            await bot.send_message(1001, "hello")
    finally:
        await bot.session.close()
        await runner.cleanup()
    assert seen == [
        (
            "application/json",
            {"chat_id": -100200, "user_id": 1001, "until_date": round(until.timestamp())},
        ),
        ("application/json", {"chat_id": 1001, "text": "hello", "parse_mode": "HTML"}),
    ]


async def test_ids_only_reads_a_sent_message_for_its_id_and_chat(
    json_bot: Bot, server: FakeTelegramServer, alice: FakeUser
) -> None:
    whole = await json_bot.send_message(alice.id, "first", reply_markup=KEYBOARD)
    assert isinstance(whole, Message)  # outside the block: aiogram's types
    server.add_group(-100300, "Desk", is_forum=True).bot_status = "administrator"
    photo = b"\x89PNG\r\n\x1a\n" + b"\x00" * 16
    with message_ids_only():
        sent = await json_bot.send_message(alice.id, "second", reply_markup=KEYBOARD)
        edited = await json_bot.edit_message_text(
            text="second, edited", chat_id=alice.id, message_id=sent.message_id
        )
        answered = await json_bot.send_message(-100300, "to the desk")
        album = await json_bot.send_media_group(
            alice.id,
            [InputMediaPhoto(media=BufferedInputFile(photo, f"p{i}.png")) for i in range(2)],
        )
        topic = await json_bot.create_forum_topic(-100300, "SG-000001")
        deleted = await json_bot.delete_message(alice.id, whole.message_id)
    shown = {m.message_id: m for m in server.messages_in(alice.id)}
    assert sent == SentMessage(sent.message_id, SentChat(alice.id, "private", None))
    assert shown[sent.message_id].text == "second, edited"
    assert edited == SentMessage(sent.message_id, SentChat(alice.id, "private", None))
    assert answered.chat == SentChat(-100300, "supergroup", True)
    assert all(isinstance(m, Message) for m in album)  # an upload: aiogram's answer
    assert isinstance(topic, ForumTopic)  # not a message: aiogram's answer
    assert deleted is True
