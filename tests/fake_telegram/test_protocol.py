"""HTTP-level behaviour: auth, routing, request encodings and getUpdates semantics."""

from __future__ import annotations

import asyncio
import time

import aiohttp
import pytest
from aiogram import Bot
from aiogram.exceptions import TelegramConflictError, TelegramUnauthorizedError

from fake_telegram import FakeTelegramServer, FakeUser

from .conftest import make_bot


async def test_get_me(bot: Bot, server: FakeTelegramServer) -> None:
    me = await bot.get_me()
    assert me.id == server.bot_id
    assert me.username == "resident_test_bot"
    assert me.is_bot
    assert server.calls[-1].method == "getMe"


async def assert_error(resp: aiohttp.ClientResponse, code: int, description: str) -> None:
    """The HTTP status and the body Telegram answers a failed call with."""
    assert resp.status == code
    assert await resp.json() == {"ok": False, "error_code": code, "description": description}


async def test_wrong_token_is_401(server: FakeTelegramServer) -> None:
    async with aiohttp.ClientSession() as http:
        async with http.post(f"{server.base_url}/bot999:WRONG/getMe") as resp:
            await assert_error(resp, 401, "Unauthorized")
    wrong = Bot("999:WRONG", session=make_bot(server).session)
    with pytest.raises(TelegramUnauthorizedError):
        await wrong.get_me()
    await wrong.session.close()


async def test_unknown_method_is_404_and_names_are_case_insensitive(
    server: FakeTelegramServer,
) -> None:
    async with aiohttp.ClientSession() as http:
        async with http.post(f"{server.api_url}/noSuchMethod") as resp:
            await assert_error(resp, 404, "Not Found")
        async with http.get(f"{server.api_url}/GETME") as resp:
            assert resp.status == 200
            assert (await resp.json())["result"]["id"] == server.bot_id
    assert server.calls_of("getme")[0].method == "getMe"


async def test_json_urlencoded_and_query_requests(
    server: FakeTelegramServer, alice: FakeUser
) -> None:
    markup = {"inline_keyboard": [[{"text": "OK", "callback_data": "ok"}]]}
    async with aiohttp.ClientSession() as http:
        async with http.post(
            f"{server.api_url}/sendMessage",
            json={"chat_id": alice.id, "text": "json", "reply_markup": markup},
        ) as resp:
            assert (await resp.json())["ok"]
        async with http.post(
            f"{server.api_url}/sendMessage",
            data={
                "chat_id": str(alice.id),
                "text": "123",
                "reply_markup": str(markup).replace("'", '"'),
            },
        ) as resp:
            assert (await resp.json())["ok"]
        async with http.get(
            f"{server.api_url}/sendMessage", params={"chat_id": alice.id, "text": "true"}
        ) as resp:
            assert (await resp.json())["ok"]
    texts = [call.params["text"] for call in server.calls_of("sendMessage")]
    assert texts == ["json", "123", "true"]  # free text is never JSON-decoded
    assert server.calls_of("sendMessage", chat_id=alice.id)[1].params["reply_markup"] == markup
    assert [m.text for m in server.messages_in(alice.id)] == ["json", "123", "true"]


async def test_get_updates_offset_confirms(
    bot: Bot, server: FakeTelegramServer, alice: FakeUser
) -> None:
    for text in ("one", "two", "three"):
        server.send_text(alice, text)
    first = await bot.get_updates(limit=2)
    assert [u.message.text for u in first] == ["one", "two"]
    again = await bot.get_updates()
    assert len(again) == 3  # nothing confirmed yet
    rest = await bot.get_updates(offset=first[-1].update_id + 1)
    assert [u.message.text for u in rest] == ["three"]
    assert server.pending_updates() == 1
    assert await bot.get_updates(offset=rest[-1].update_id + 1) == []
    assert server.pending_updates() == 0


async def test_long_poll_wakes_on_push(
    bot: Bot, server: FakeTelegramServer, alice: FakeUser
) -> None:
    started = time.monotonic()
    poll = asyncio.create_task(bot.get_updates(timeout=5))
    await asyncio.sleep(0.2)
    assert not poll.done()
    server.send_text(alice, "/start")
    updates = await asyncio.wait_for(poll, 2)
    assert time.monotonic() - started < 2
    assert updates[0].message.text == "/start"
    entity = updates[0].message.entities[0]
    assert (entity.type, entity.offset, entity.length) == ("bot_command", 0, 6)


async def test_long_poll_times_out_empty(bot: Bot) -> None:
    started = time.monotonic()
    assert await bot.get_updates(timeout=1) == []
    assert 0.9 <= time.monotonic() - started < 3


async def test_second_poll_terminates_first(bot: Bot, server: FakeTelegramServer) -> None:
    first = asyncio.create_task(bot.get_updates(timeout=5))
    await asyncio.sleep(0.1)
    second = asyncio.create_task(bot.get_updates(timeout=1))
    with pytest.raises(TelegramConflictError):
        await asyncio.wait_for(first, 2)
    assert await second == []


async def test_stop_wakes_pending_long_poll() -> None:
    server = FakeTelegramServer()
    await server.start()
    bot = make_bot(server)
    poll = asyncio.create_task(bot.get_updates(timeout=30))
    await asyncio.sleep(0.1)
    started = time.monotonic()
    await server.stop()
    await asyncio.wait_for(asyncio.gather(poll, return_exceptions=True), 3)
    assert time.monotonic() - started < 3
    await bot.session.close()


async def test_wait_for_times_out_with_recent_calls(bot: Bot, server: FakeTelegramServer) -> None:
    await bot.get_me()
    with pytest.raises(AssertionError, match=r"(?s)sendMessage.*getMe"):
        await server.wait_for("sendMessage", timeout=0.2)


async def test_wait_for_count_since_and_filters(
    bot: Bot, server: FakeTelegramServer, alice: FakeUser
) -> None:
    await bot.send_message(alice.id, "old")
    mark = server.mark()
    sender = asyncio.gather(bot.send_message(alice.id, "a"), bot.send_message(alice.id, "b"))
    calls = await server.wait_for("sendMessage", count=2, since=mark)
    assert sorted(c.params["text"] for c in calls) == ["a", "b"]
    await sender
    first = await server.wait_for("SENDMESSAGE", lambda c: c.params["text"] == "b")
    assert first.ok and first.result["text"] == "b"
    assert len(server.calls_of("sendMessage", chat_id=alice.id, text="old")) == 1
    server.clear_calls()
    assert server.calls == [] and len(server.messages_in(alice.id)) == 3


async def test_standalone_control_routes() -> None:
    from fake_telegram.__main__ import add_control_routes

    server = FakeTelegramServer()
    server.on_app_created = lambda app: add_control_routes(app, server)
    async with server, aiohttp.ClientSession() as http:
        async with http.post(
            f"{server.base_url}/_fake/send_text", json={"user_id": 5, "text": "/start"}
        ) as resp:
            assert (await resp.json())["update_id"] == 1
        async with http.get(f"{server.api_url}/getUpdates") as resp:
            assert (await resp.json())["result"][0]["message"]["text"] == "/start"
        async with http.get(f"{server.base_url}/_fake/messages", params={"chat_id": 5}) as resp:
            assert [m["text"] for m in await resp.json()] == ["/start"]
