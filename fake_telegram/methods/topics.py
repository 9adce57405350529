"""Forum topics: createForumTopic, editForumTopic, closeForumTopic, reopenForumTopic.

Only a forum supergroup has topics, and only an administrator (the bot must be one)
may manage them. Each change leaves its service message in the topic, as in Telegram:
``forum_topic_created`` (whose id is the topic's ``message_thread_id``),
``forum_topic_edited``, ``forum_topic_closed``, ``forum_topic_reopened``.
"""

from __future__ import annotations

from typing import Any

from fake_telegram.errors import bad_request
from fake_telegram.methods.common import int_param, required_int
from fake_telegram.methods.registry import MethodContext, api_method
from fake_telegram.models import ChatRecord, ForumTopicRecord
from fake_telegram.text_units import utf16_len

TOPIC_NAME_LIMIT = 128
ICON_COLORS = (7322096, 16766590, 13338331, 9367192, 16749490, 16478047)


def _forum(ctx: MethodContext) -> ChatRecord:
    chat = ctx.state.chat_for_send(ctx.params.get("chat_id"))
    if not chat.is_forum:
        raise bad_request("the chat is not a forum")
    if chat.bot_status not in ("administrator", "creator"):
        raise bad_request("not enough rights to manage topics")
    return chat


def _topic(ctx: MethodContext, chat: ChatRecord) -> ForumTopicRecord:
    topic = chat.topics.get(required_int(ctx.params, "message_thread_id"))
    if topic is None:
        raise bad_request("message thread not found")
    return topic


def _name(value: Any) -> str:
    name = str(value or "").strip()
    if not name:
        raise bad_request("TOPIC_TITLE_EMPTY")
    if utf16_len(name) > TOPIC_NAME_LIMIT:
        raise bad_request("TOPIC_TITLE_TOO_LONG")  # plausible; Telegram's exact text varies
    return name


def _service(ctx: MethodContext, chat: ChatRecord, thread_id: int, content: dict[str, Any]) -> int:
    """The service message a topic change leaves in the topic; returns its id."""
    state = ctx.state
    data = state.new_message(chat, state.bot.to_dict(), message_thread_id=thread_id)
    data.update(content)
    state.store(chat, data, from_bot=True)
    ctx.target_chat_id = chat.id
    return int(data["message_id"])


@api_method("createForumTopic")
def create_forum_topic(ctx: MethodContext) -> dict[str, Any]:
    chat = _forum(ctx)
    name = _name(ctx.params.get("name"))
    color = int_param(ctx.params, "icon_color", ICON_COLORS[0]) or ICON_COLORS[0]
    if color not in ICON_COLORS:
        raise bad_request("TOPIC_ICON_COLOR_INVALID")  # plausible
    thread_id = chat.next_message_id  # the created message's id is the topic's id
    topic = ForumTopicRecord(message_thread_id=thread_id, name=name, icon_color=color)
    chat.topics[thread_id] = topic
    created = _service(
        ctx, chat, thread_id, {"forum_topic_created": {"name": name, "icon_color": color}}
    )
    assert created == thread_id
    return topic.to_dict()


@api_method("editForumTopic")
def edit_forum_topic(ctx: MethodContext) -> bool:
    chat = _forum(ctx)
    topic = _topic(ctx, chat)
    if ctx.params.get("name") is None and ctx.params.get("icon_custom_emoji_id") is None:
        raise bad_request("TOPIC_NOT_MODIFIED")
    name = _name(ctx.params["name"]) if ctx.params.get("name") is not None else topic.name
    if name == topic.name:
        raise bad_request("TOPIC_NOT_MODIFIED")
    topic.name = name
    _service(ctx, chat, topic.message_thread_id, {"forum_topic_edited": {"name": name}})
    return True


def _set_closed(ctx: MethodContext, closed: bool) -> bool:
    chat = _forum(ctx)
    topic = _topic(ctx, chat)
    if topic.closed == closed:
        raise bad_request("TOPIC_NOT_MODIFIED")
    topic.closed = closed
    event = "forum_topic_closed" if closed else "forum_topic_reopened"
    _service(ctx, chat, topic.message_thread_id, {event: {}})
    return True


@api_method("closeForumTopic")
def close_forum_topic(ctx: MethodContext) -> bool:
    return _set_closed(ctx, True)


@api_method("reopenForumTopic")
def reopen_forum_topic(ctx: MethodContext) -> bool:
    return _set_closed(ctx, False)
