"""Forum topics through a real aiogram Bot: created, renamed, closed and reopened, each
leaving its service message in the topic; refused where Telegram refuses."""

from __future__ import annotations

import pytest
from aiogram import Bot
from aiogram.exceptions import TelegramBadRequest

from fake_telegram import FakeTelegramServer, FakeUser

FORUM, PLAIN = -100700, -100701


async def test_a_topic_is_created_renamed_closed_and_reopened(
    bot: Bot, server: FakeTelegramServer, alice: FakeUser
) -> None:
    server.add_group(FORUM, "Desk", is_forum=True).bot_status = "administrator"
    topic = await bot.create_forum_topic(FORUM, "🆕 SG-000001 · Water")
    assert topic.name == "🆕 SG-000001 · Water"
    created = server.message(FORUM, topic.message_thread_id)
    assert created is not None and created.get("forum_topic_created")["name"] == topic.name
    sent = await bot.send_message(FORUM, "card", message_thread_id=topic.message_thread_id)
    assert sent.message_thread_id == topic.message_thread_id and sent.is_topic_message
    update = server.send_text(alice, "hi", chat_id=FORUM, message_thread_id=topic.message_thread_id)
    assert update["message"]["is_topic_message"] is True

    thread = topic.message_thread_id
    assert await bot.edit_forum_topic(FORUM, thread, name="👀 SG-000001 · Water")
    assert server.state.chats[FORUM].topics[thread].name == "👀 SG-000001 · Water"
    with pytest.raises(TelegramBadRequest, match="TOPIC_NOT_MODIFIED"):
        await bot.edit_forum_topic(FORUM, thread, name="👀 SG-000001 · Water")
    assert await bot.close_forum_topic(FORUM, thread)
    assert server.state.chats[FORUM].topics[thread].closed
    with pytest.raises(TelegramBadRequest, match="TOPIC_NOT_MODIFIED"):
        await bot.close_forum_topic(FORUM, thread)
    assert await bot.reopen_forum_topic(FORUM, thread)
    assert not server.state.chats[FORUM].topics[thread].closed
    events = [
        key
        for m in server.messages_in(FORUM)
        for key in ("forum_topic_edited", "forum_topic_closed", "forum_topic_reopened")
        if m.get(key) is not None
    ]
    assert events == ["forum_topic_edited", "forum_topic_closed", "forum_topic_reopened"]


async def test_topics_only_in_a_forum_and_only_for_an_admin(
    bot: Bot, server: FakeTelegramServer
) -> None:
    server.add_group(PLAIN, "Plain")
    with pytest.raises(TelegramBadRequest, match="the chat is not a forum"):
        await bot.create_forum_topic(PLAIN, "x")
    server.add_group(FORUM, "Desk", is_forum=True)
    with pytest.raises(TelegramBadRequest, match="not enough rights"):
        await bot.create_forum_topic(FORUM, "x")
    server.state.chats[FORUM].bot_status = "administrator"
    with pytest.raises(TelegramBadRequest, match="message thread not found"):
        await bot.close_forum_topic(FORUM, 4242)
