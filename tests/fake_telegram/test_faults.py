"""Fault injection, blocking, migration and rate limits as aiogram sees them."""

from __future__ import annotations

import asyncio

import pytest
from aiogram import Bot, exceptions

from fake_telegram import GROUP_ANONYMOUS_BOT_ID, ApiError, FakeTelegramServer, FakeUser
from fake_telegram.errors import too_many_requests

from .conftest import make_bot


async def test_fail_next_429_not_applied(
    bot: Bot, server: FakeTelegramServer, alice: FakeUser
) -> None:
    server.fail_next("sendMessage", too_many_requests(7))
    with pytest.raises(exceptions.TelegramRetryAfter) as caught:
        await bot.send_message(alice.id, "hello")
    assert caught.value.retry_after == 7
    assert "Too Many Requests: retry after 7" in caught.value.message
    assert server.messages_in(alice.id) == []
    assert server.calls_of("sendMessage")[0].fault == "injected"
    await bot.send_message(alice.id, "hello")  # only the next call failed
    assert len(server.messages_in(alice.id)) == 1


async def test_fail_next_500_times_and_chat_filter(
    bot: Bot, server: FakeTelegramServer, alice: FakeUser
) -> None:
    bob = server.user(1002, "Bob")
    server.fail_next("sendmessage", ApiError(500, "Internal Server Error"), times=2, chat_id=bob.id)
    await bot.send_message(alice.id, "unaffected")
    for _ in range(2):
        with pytest.raises(exceptions.TelegramServerError):
            await bot.send_message(bob.id, "hi")
    await bot.send_message(bob.id, "hi")
    assert server.stats["injected"] == 2


async def test_blocked_and_kicked(bot: Bot, server: FakeTelegramServer, alice: FakeUser) -> None:
    server.block_chat(alice.id)
    with pytest.raises(exceptions.TelegramForbiddenError, match="bot was blocked by the user"):
        await bot.send_message(alice.id, "x")
    server.unblock_chat(alice.id)
    await bot.send_message(alice.id, "x")

    server.add_group(-100111, "Owners")
    server.block_chat(-100111)
    with pytest.raises(
        exceptions.TelegramForbiddenError, match="bot was kicked from the supergroup chat"
    ):
        await bot.send_message(-100111, "x")

    update = server.user_blocks_bot(alice)
    assert update["my_chat_member"]["new_chat_member"]["status"] == "kicked"
    with pytest.raises(exceptions.TelegramForbiddenError):
        await bot.send_message(alice.id, "x")


async def test_migrate_group(bot: Bot, server: FakeTelegramServer, alice: FakeUser) -> None:
    joined = server.bot_added_to_group(-4001, alice, title="Lobby", type="group")
    assert joined["my_chat_member"]["new_chat_member"]["status"] == "member"
    to_old, to_new = server.migrate_group(-4001, -1004001, by_user=alice)
    assert to_old["message"]["migrate_to_chat_id"] == -1004001
    assert to_new["message"]["migrate_from_chat_id"] == -4001
    with pytest.raises(exceptions.TelegramMigrateToChat) as caught:
        await bot.send_message(-4001, "hi")
    assert caught.value.migrate_to_chat_id == -1004001
    assert "group chat was upgraded to a supergroup chat" in caught.value.message
    await bot.send_message(-1004001, "hi")

    updates = await bot.get_updates()
    assert updates[0].my_chat_member.chat.id == -4001
    assert updates[1].message.migrate_to_chat_id == -1004001
    assert updates[2].message.migrate_from_chat_id == -4001
    assert updates[2].message.chat.type == "supergroup"


async def test_anonymous_admin(bot: Bot, server: FakeTelegramServer) -> None:
    server.add_group(-100222, "Board")
    server.send_as_anonymous_admin(-100222, "/notice 停水")
    message = (await bot.get_updates())[0].message
    assert message.from_user.id == GROUP_ANONYMOUS_BOT_ID
    assert message.sender_chat.id == -100222


async def test_delay_makes_client_time_out_but_applies(
    server: FakeTelegramServer, alice: FakeUser
) -> None:
    bot = make_bot(server, timeout=0.3)
    server.delay_next("sendMessage", 1.0, apply=True)
    with pytest.raises(exceptions.TelegramNetworkError, match="timeout"):
        await bot.send_message(alice.id, "lost answer")
    assert [m.text for m in server.messages_in(alice.id)] == ["lost answer"]
    assert server.calls_of("sendMessage")[0].fault == "delayed"

    server.delay_next("sendMessage", 1.0, apply=False)
    with pytest.raises(exceptions.TelegramNetworkError):
        await bot.send_message(alice.id, "never processed")
    assert [m.text for m in server.messages_in(alice.id)] == ["lost answer"]
    await bot.session.close()


async def test_delay_not_applied_answers_502_when_client_waits(
    bot: Bot, server: FakeTelegramServer, alice: FakeUser
) -> None:
    server.delay_next("sendMessage", 0.2, apply=False)
    with pytest.raises(exceptions.TelegramServerError, match="Bad Gateway"):
        await bot.send_message(alice.id, "dropped")
    assert server.messages_in(alice.id) == []


async def test_rate_limits_enforced(alice: FakeUser) -> None:
    async with FakeTelegramServer(enforce_rate_limits=True) as server:
        bot = make_bot(server)
        server.user(alice.id, alice.first_name)
        for i in range(3):  # private chat: burst of 3
            await bot.send_message(alice.id, f"m{i}")
        with pytest.raises(exceptions.TelegramRetryAfter) as caught:
            await bot.send_message(alice.id, "too fast")
        assert caught.value.retry_after == 1
        assert server.stats["rate_limited"] == 1 and server.stats["sent"] == 3
        await asyncio.sleep(1.05)
        await bot.send_message(alice.id, "after waiting")

        server.add_group(-100333, "Busy group")
        for i in range(20):
            await bot.send_message(-100333, f"g{i}")
        with pytest.raises(exceptions.TelegramRetryAfter) as caught:
            await bot.send_message(-100333, "21st")
        assert 1 <= caught.value.retry_after <= 3
        # 400s do not consume tokens and errors are not "sent".
        with pytest.raises(exceptions.TelegramBadRequest):
            await bot.send_message(server.user().id, "")
        assert server.stats["sent"] == 24
        await bot.session.close()


async def test_rate_limits_off_by_default(
    bot: Bot, server: FakeTelegramServer, alice: FakeUser
) -> None:
    await asyncio.gather(*(bot.send_message(alice.id, str(i)) for i in range(50)))
    assert server.stats["sent"] == 50 and server.stats["rate_limited"] == 0
    assert sorted(m.message_id for m in server.messages_in(alice.id)) == list(range(1, 51))
