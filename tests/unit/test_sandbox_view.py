"""What the sandbox page is given to draw (an album as one bubble, a forum's topics), and
who may act in a group."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from bot.app.sandbox.cast import build_cast
from bot.app.sandbox.view import _merge_albums, chat_view
from bot.app.sandbox.web import Refusal, _actor
from bot.config.orgfile.loader import EXAMPLE_ORGANISATION_PATH, load_organisation
from fake_telegram import FakeTelegramServer
from fake_telegram.models import ForumTopicRecord

ZONE = ZoneInfo("Asia/Shanghai")
FORUM = -1001000000005


def test_an_albums_photos_become_one_bubble_with_the_caption_and_nothing_else_merges() -> None:
    items = [
        {"id": 1, "album": "a", "photos": ["/file/1"]},
        {"id": 2, "album": "a", "photos": ["/file/2"], "html": "the ceiling"},
        {"id": 3, "album": "a", "photos": ["/file/3"], "html": "a later caption"},
        {"id": 4, "html": "text between"},
        {"id": 5, "album": "a", "photos": ["/file/5"]},  # same album id, not adjacent
        {"id": 6, "album": "b", "photos": ["/file/6"]},
        {"id": 7, "album": "b", "document": {"name": "x.pdf"}},  # not a photo: its own bubble
    ]
    merged = _merge_albums(items)
    assert [item["id"] for item in merged] == [1, 4, 5, 6, 7]
    assert merged[0]["photos"] == ["/file/1", "/file/2", "/file/3"]
    assert merged[0]["html"] == "the ceiling"  # the first caption, as Telegram shows it
    assert items[0]["photos"] == ["/file/1"]  # the input is left as it was


def test_an_album_sent_to_the_fake_is_one_bubble_in_the_chat_view() -> None:
    telegram = FakeTelegramServer()
    alice = telegram.user(id=42, first_name="Alice", language_code="en")
    telegram.send_album(alice, 3)
    telegram.send_text(alice, "that is the leak")
    view = chat_view(telegram, 42, ZONE)
    assert [len(m.get("photos", [])) for m in view["messages"]] == [3, 0]
    assert view["forum"] is False and view["topics"] == []


def test_a_forums_messages_carry_their_topic_and_the_chat_lists_its_topics() -> None:
    telegram = FakeTelegramServer()
    agent = telegram.user(id=100003, first_name="陈静", language_code="zh-hans")
    group = telegram.add_group(FORUM, "滨江商务广场项目部", is_forum=True)
    group.bot_status = "administrator"
    name = "🔧 BJ-000001 · 水管漏水"
    thread = group.next_message_id  # a topic is made as createForumTopic makes it
    group.topics[thread] = ForumTopicRecord(message_thread_id=thread, name=name)
    bot = telegram.state.bot.to_dict()
    data = telegram.state.new_message(group, bot, message_thread_id=thread)
    data["forum_topic_created"] = {"name": name, "icon_color": 7322096}
    telegram.state.store(group, data, from_bot=True)
    telegram.send_text(agent, "在路上了", chat_id=FORUM, message_thread_id=thread)
    telegram.send_text(agent, "大家好", chat_id=FORUM)
    view = chat_view(telegram, FORUM, ZONE)
    assert view["forum"] is True
    assert view["topics"] == [{"id": thread, "name": name, "closed": False}]
    created, answer, general = view["messages"]
    assert created["service"] == {"kind": "created", "name": name}
    assert created["topic"] == answer["topic"] == thread
    assert "topic" not in general


def test_who_acts_in_a_group_is_one_of_its_members_and_anything_else_is_refused() -> None:
    cast = build_cast(load_organisation(EXAMPLE_ORGANISATION_PATH))
    telegram = FakeTelegramServer()
    cast.install(telegram)
    sandbox: Any = SimpleNamespace(cast=cast, telegram=telegram)  # what _actor reads of it
    group = next(p for p in cast.panes if p.is_group and len(p.speakers) > 1)
    second = group.speakers[1].telegram_id
    # The page sends the chosen member's id as a string; none chosen: the first member.
    assert _actor(sandbox, {"pane": group.key, "as": str(second)})[1].id == second
    assert _actor(sandbox, {"pane": group.key})[1].id == group.speakers[0].telegram_id
    for forged in ("agent", "1", ["x"]):  # a name, a stranger, not even a number: a 400
        with pytest.raises(Refusal):
            _actor(sandbox, {"pane": group.key, "as": forged})
    with pytest.raises(Refusal):
        _actor(sandbox, {"pane": "nowhere"})
