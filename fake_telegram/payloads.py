"""JSON shapes of media objects (PhotoSize, Document, Voice, ...) for stored files.

Shared by the bot-side send methods and the test-side user actions so that a file
looks the same whichever direction it travelled.
"""

from __future__ import annotations

from typing import Any

from fake_telegram.models import StoredFile

#: Message keys that carry content; used by copy/forward and edit checks.
MEDIA_KEYS = ("photo", "document", "video", "audio", "voice", "animation", "sticker", "video_note")
CONTENT_KEYS = (
    "text",
    "entities",
    *MEDIA_KEYS,
    "caption",
    "caption_entities",
    "location",
    "contact",
    "venue",
    "poll",
    "dice",
    "has_media_spoiler",
)


def file_payload(stored: StoredFile, *, emoji: str | None = None) -> Any:
    """The object placed under ``message[stored.kind]``.

    Photos are a list of sizes; the fake produces a single size (the original), so
    ``message.photo[-1]`` and ``message.photo[0]`` are the same file.
    """
    base: dict[str, Any] = {
        "file_id": stored.file_id,
        "file_unique_id": stored.file_unique_id,
        "file_size": stored.file_size,
    }
    kind, details = stored.kind, stored.details
    if kind == "photo":
        base["width"] = details.width or 320
        base["height"] = details.height or 240
        return [base]
    if kind == "sticker":
        base.update(
            {
                "type": "regular",
                "width": details.width or 512,
                "height": details.height or 512,
                "is_animated": False,
                "is_video": False,
            }
        )
        if emoji:
            base["emoji"] = emoji
        return base
    if kind in ("voice", "audio", "video", "animation", "video_note"):
        base["duration"] = details.duration or 1
    if kind in ("video", "animation"):
        base["width"] = details.width or 640
        base["height"] = details.height or 360
    if kind == "video_note":
        base["length"] = details.width or 240
    if details.file_name and kind in ("document", "audio", "video", "animation"):
        base["file_name"] = details.file_name
    if details.mime_type and kind != "video_note":
        base["mime_type"] = details.mime_type
    return base


def content_of(message: dict[str, Any]) -> dict[str, Any]:
    """The content part of a message (what copyMessage/forwardMessage carry over)."""
    return {key: message[key] for key in CONTENT_KEYS if key in message}


def media_kind(message: dict[str, Any]) -> str | None:
    """Which media key a message carries, if any."""
    for key in MEDIA_KEYS:
        if key in message:
            return key
    return None
