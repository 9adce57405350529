"""What each pane shows, as Telegram would render it, as JSON for the page.

Telegram stores a message as visible text plus entities; the page gets safe HTML
rebuilt from them (everything else escaped), photos and documents as links to the
sandbox's file route, albums as one bubble, inline buttons, the reply keyboard the
bot last set in a private chat, edits in place and forum topics (a forum's messages
carry their topic; the chat lists its topics, which the page draws as sections).
"""

from __future__ import annotations

import html
from collections import defaultdict
from datetime import UTC, datetime, tzinfo
from typing import Any
from urllib.parse import quote

from fake_telegram import FakeTelegramServer, StoredMessage

_SIMPLE_TAGS = {
    "bold": "b",
    "italic": "i",
    "underline": "u",
    "strikethrough": "s",
    "code": "code",
    "blockquote": "blockquote",
    "expandable_blockquote": "blockquote",
}
_SAFE_SCHEMES = ("http://", "https://", "tg://", "mailto:")
# The service messages a topic's changes leave in it, and what the page calls them.
_TOPIC_EVENTS = {
    "forum_topic_created": "created",
    "forum_topic_edited": "renamed",
    "forum_topic_closed": "closed",
    "forum_topic_reopened": "reopened",
}


def _tags(entity: dict[str, Any]) -> tuple[str, str]:
    kind = entity.get("type")
    if kind in _SIMPLE_TAGS:
        tag = _SIMPLE_TAGS[kind]
        return f"<{tag}>", f"</{tag}>"
    if kind == "pre":
        return "<pre>", "</pre>"
    if kind == "spoiler":
        return '<span class="spoiler">', "</span>"
    if kind == "text_link":
        url = str(entity.get("url", ""))
        if url.startswith(_SAFE_SCHEMES):
            href = html.escape(url, quote=True)
            return f'<a href="{href}" target="_blank" rel="noopener">', "</a>"
        return "<u>", "</u>"
    if kind == "bot_command":
        return '<span class="command">', "</span>"
    return "", ""


def entities_to_html(text: str, entities: list[dict[str, Any]] | None) -> str:
    """Escaped ``text`` with the entities' formatting (offsets in UTF-16 code units)."""
    units = text.encode("utf-16-le")
    total = len(units) // 2
    opening: dict[int, list[str]] = defaultdict(list)
    closing: dict[int, list[str]] = defaultdict(list)
    ordered = sorted(entities or [], key=lambda e: (int(e["offset"]), -int(e["length"])))
    for entity in ordered:
        start = max(0, int(entity["offset"]))
        end = min(total, start + int(entity["length"]))
        if end <= start:
            continue
        open_tag, close_tag = _tags(entity)
        if open_tag:
            opening[start].append(open_tag)
            closing[end].insert(0, close_tag)
    cuts = sorted({0, total, *opening, *closing})
    out: list[str] = []
    for here, there in zip(cuts, [*cuts[1:], total], strict=True):
        out.extend(closing.get(here, []))
        out.extend(opening.get(here, []))
        if there > here:
            out.append(html.escape(units[here * 2 : there * 2].decode("utf-16-le"), quote=False))
    return "".join(out)


def file_url(file_id: str, name: str | None = None) -> str:
    url = f"/file/{quote(file_id)}"
    return f"{url}?name={quote(name)}" if name else url


def _snippet(data: dict[str, Any]) -> str:
    if data.get("text"):
        return str(data["text"])[:80]
    if data.get("caption"):
        return "📷 " + str(data["caption"])[:78]
    if "photo" in data:
        return "📷"
    if "document" in data:
        return "📄 " + str(data["document"].get("file_name", ""))
    if "contact" in data:
        return "📱 " + str(data["contact"].get("phone_number", ""))
    return "…"


def _sender(data: dict[str, Any]) -> str:
    sender = data.get("from") or {}
    return " ".join(filter(None, [sender.get("first_name"), sender.get("last_name")]))


def _buttons(data: dict[str, Any]) -> list[list[dict[str, str]]]:
    rows = (data.get("reply_markup") or {}).get("inline_keyboard") or []
    result = []
    for row in rows:
        shown = []
        for button in row:
            item = {"text": str(button.get("text", ""))}
            if "callback_data" in button:
                item["data"] = str(button["callback_data"])
            elif "url" in button:
                item["url"] = str(button["url"])
            shown.append(item)
        result.append(shown)
    return result


def message_view(message: StoredMessage, zone: tzinfo) -> dict[str, Any]:
    data = message.data
    sent = datetime.fromtimestamp(int(data.get("date", 0)), UTC).astimezone(zone)
    item: dict[str, Any] = {
        "id": message.message_id,
        "out": not message.from_bot,
        "sender": _sender(data),
        "time": sent.strftime("%m-%d %H:%M"),
        "edited": "edit_date" in data,
        "buttons": _buttons(data),
    }
    if "text" in data:
        item["html"] = entities_to_html(str(data["text"]), data.get("entities"))
    if data.get("caption"):
        item["html"] = entities_to_html(str(data["caption"]), data.get("caption_entities"))
    if "photo" in data:
        item["photos"] = [file_url(data["photo"][-1]["file_id"])]
    if "document" in data:
        document = data["document"]
        name = str(document.get("file_name") or "document")
        item["document"] = {
            "name": name,
            "url": file_url(document["file_id"], name),
            "size": int(document.get("file_size") or 0),
        }
    if "contact" in data:
        contact = data["contact"]
        item["contact"] = {
            "phone": str(contact.get("phone_number", "")),
            "name": str(contact.get("first_name", "")),
        }
    if "media_group_id" in data:
        item["album"] = str(data["media_group_id"])
    if data.get("is_topic_message") and data.get("message_thread_id"):
        item["topic"] = int(data["message_thread_id"])
    for event, kind in _TOPIC_EVENTS.items():
        if event in data:
            item["service"] = {"kind": kind, "name": str((data[event] or {}).get("name", ""))}
    reply = data.get("reply_to_message")
    if reply:
        item["reply_to"] = {
            "id": int(reply.get("message_id", 0)),
            "sender": _sender(reply),
            "snippet": _snippet(reply),
        }
    return item


def _merge_albums(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Photos sent as one album become one bubble (as Telegram shows them)."""
    merged: list[dict[str, Any]] = []
    for item in items:
        previous = merged[-1] if merged else None
        if (
            previous is not None
            and item.get("album")
            and previous.get("album") == item["album"]
            and "photos" in item
        ):
            previous["photos"] = previous.get("photos", []) + item["photos"]
            if item.get("html") and not previous.get("html"):
                previous["html"] = item["html"]
            continue
        merged.append(dict(item))
    return merged


def reply_keyboard(messages: list[StoredMessage]) -> dict[str, Any] | None:
    """The reply keyboard the bot set last in a private chat (None once removed)."""
    for message in reversed(messages):
        if not message.from_bot or message.reply_markup is None:
            continue
        markup = message.reply_markup
        if "keyboard" in markup:
            rows = [
                [
                    {
                        "text": str(button["text"] if isinstance(button, dict) else button),
                        "contact": bool(isinstance(button, dict) and button.get("request_contact")),
                    }
                    for button in row
                ]
                for row in markup["keyboard"]
            ]
            return {"rows": rows, "placeholder": str(markup.get("input_field_placeholder", ""))}
        if markup.get("remove_keyboard"):
            return None
    return None


def chat_view(telegram: FakeTelegramServer, chat_id: int, zone: tzinfo) -> dict[str, Any]:
    messages = telegram.messages_in(chat_id, include_user_messages=True)
    chat = telegram.state.chats.get(chat_id)
    private = chat is not None and chat.type == "private"
    forum = bool(chat is not None and chat.is_forum)
    return {
        "messages": _merge_albums([message_view(m, zone) for m in messages]),
        "keyboard": reply_keyboard(messages) if private else None,
        "forum": forum,
        "topics": topics_of(telegram, chat_id) if forum else [],
    }


def topics_of(telegram: FakeTelegramServer, chat_id: int) -> list[dict[str, Any]]:
    """A forum's topics in the order they were made: id (the thread), name, closed."""
    chat = telegram.state.chats[chat_id]
    return [
        {"id": topic.message_thread_id, "name": topic.name, "closed": topic.closed}
        for _thread, topic in sorted(chat.topics.items())
    ]
