"""Methods that create messages: sendMessage, send<Media>, sendMediaGroup, copy, forward.

Every handler validates everything first and only then allocates a message id and
stores the message, so a refused call leaves no trace in the chat (as in Telegram).
"""

from __future__ import annotations

from typing import Any

from fake_telegram.errors import bad_request
from fake_telegram.formatting import prepare_caption, prepare_text
from fake_telegram.keyboards import validate_reply_markup
from fake_telegram.media import guess_mime, image_size, make_jpeg
from fake_telegram.methods.common import (
    bool_param,
    int_param,
    message_content,
    reply_target,
    required_int,
)
from fake_telegram.methods.registry import MethodContext, api_method
from fake_telegram.models import ChatRecord, FileDetails, StoredFile
from fake_telegram.payloads import file_payload, media_kind

_KIND_TITLES = {
    "photo": "Photo",
    "document": "Document",
    "video": "Video",
    "audio": "Audio",
    "voice": "Voice",
    "animation": "Animation",
    "sticker": "Sticker",
    "video_note": "VideoNote",
}


def _finish(
    ctx: MethodContext,
    chat: ChatRecord,
    content: dict[str, Any],
    *,
    reply_to: dict[str, Any] | None,
    inline_markup: dict[str, Any] | None = None,
    raw_markup: dict[str, Any] | None = None,
    extra: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Allocate the id, assemble the Message JSON and store it."""
    state = ctx.state
    data = state.new_message(
        chat, state.bot.to_dict(), message_thread_id=int_param(ctx.params, "message_thread_id")
    )
    if reply_to is not None:
        data["reply_to_message"] = reply_to
    if extra:
        data.update(extra)
    data.update(content)
    if bool_param(ctx.params, "protect_content"):
        data["has_protected_content"] = True
    if inline_markup is not None:
        data["reply_markup"] = inline_markup
    state.store(chat, data, from_bot=True, reply_markup=raw_markup)
    ctx.target_chat_id = chat.id
    return data


@api_method("sendMessage", sends=True)
def send_message(ctx: MethodContext) -> dict[str, Any]:
    """Text message; HTML is parsed, limits are applied to the visible text."""
    params = ctx.params
    chat = ctx.state.chat_for_send(params.get("chat_id"))
    text, entities = prepare_text(params, strict_ampersand=ctx.state.strict_ampersand)
    raw_markup = params.get("reply_markup")
    inline = validate_reply_markup(raw_markup)
    reply_to = reply_target(ctx.state, chat, params)
    content: dict[str, Any] = {"text": text}
    if entities:
        content["entities"] = entities
    if isinstance(params.get("link_preview_options"), dict):
        content["link_preview_options"] = params["link_preview_options"]
    return _finish(
        ctx, chat, content, inline_markup=inline, raw_markup=raw_markup, reply_to=reply_to
    )


def resolve_file(ctx: MethodContext, value: Any, kind: str) -> StoredFile:
    """``attach://`` upload, known ``file_id`` or http(s) URL -> a stored file."""
    state = ctx.state
    if value is None or value == "":
        raise bad_request(f"there is no {kind} in the request")
    if not isinstance(value, str):
        raise bad_request("wrong file identifier/HTTP URL specified")
    if value.startswith("attach://"):
        upload = ctx.uploads.get(value[len("attach://") :])
        if upload is None:
            raise bad_request("wrong file identifier/HTTP URL specified")
        if not upload.data:
            raise bad_request("file must be non-empty")
        return _new_file(ctx, kind, upload.data, upload.filename, upload.content_type)
    known = state.files.get(value)
    if known is not None:
        if known.kind != kind:
            raise bad_request(
                f"can't use file of type {_KIND_TITLES.get(known.kind, known.kind)} "
                f"as {_KIND_TITLES.get(kind, kind)}"
            )
        return known
    if value.startswith(("http://", "https://")):
        name = value.rstrip("/").rsplit("/", 1)[-1] or None
        data = make_jpeg(label=value) if kind == "photo" else b""
        return _new_file(ctx, kind, data, name, None)
    raise bad_request("wrong file identifier/HTTP URL specified")


def _new_file(
    ctx: MethodContext, kind: str, data: bytes, filename: str | None, content_type: str | None
) -> StoredFile:
    width = height = None
    if kind in ("photo", "sticker"):
        size = image_size(data)
        if size:
            width, height = size
    mime = None
    if kind != "photo":
        if content_type and content_type != "application/octet-stream":
            mime = content_type
        else:
            mime = guess_mime(filename, data)
    details = FileDetails(
        file_name=filename if kind != "photo" else None,
        mime_type=mime,
        width=width,
        height=height,
        duration=int_param(ctx.params, "duration"),
    )
    return ctx.state.files.add(kind, data, details, extension="jpg" if kind == "photo" else None)


def _send_media(ctx: MethodContext, kind: str) -> dict[str, Any]:
    params = ctx.params
    state = ctx.state
    chat = state.chat_for_send(params.get("chat_id"))
    caption, caption_entities = prepare_caption(params, strict_ampersand=state.strict_ampersand)
    raw_markup = params.get("reply_markup")
    inline = validate_reply_markup(raw_markup)
    reply_to = reply_target(state, chat, params)
    stored = resolve_file(ctx, params.get(kind), kind)
    content: dict[str, Any] = {kind: file_payload(stored, emoji=params.get("emoji"))}
    if caption and kind not in ("sticker", "video_note"):
        content["caption"] = caption
        if caption_entities:
            content["caption_entities"] = caption_entities
    if bool_param(params, "has_spoiler"):
        content["has_media_spoiler"] = True
    return _finish(
        ctx, chat, content, inline_markup=inline, raw_markup=raw_markup, reply_to=reply_to
    )


def _media_method(name: str, kind: str) -> None:
    def handler(ctx: MethodContext) -> dict[str, Any]:
        return _send_media(ctx, kind)

    handler.__doc__ = f"{name}: upload, file_id or URL; caption limits apply."
    handler.__name__ = name
    api_method(name, sends=True)(handler)


for _name, _kind in (
    ("sendPhoto", "photo"),
    ("sendDocument", "document"),
    ("sendVideo", "video"),
    ("sendAudio", "audio"),
    ("sendVoice", "voice"),
    ("sendAnimation", "animation"),
    ("sendSticker", "sticker"),
    ("sendVideoNote", "video_note"),
):
    _media_method(_name, _kind)


@api_method("sendMediaGroup", sends=True)
def send_media_group(ctx: MethodContext) -> list[dict[str, Any]]:
    """An album: 2-10 items, one message each, sharing a ``media_group_id``."""
    params = ctx.params
    state = ctx.state
    chat = state.chat_for_send(params.get("chat_id"))
    media = params.get("media")
    if not isinstance(media, list) or not media:
        raise bad_request('parameter "media" is required')
    if len(media) > 10:
        raise bad_request("too much messages to send as an album")
    if len(media) < 2:
        # Not a verbatim Telegram text: the API documents 2-10 items.
        raise bad_request("media group must include 2-10 items")
    reply_to = reply_target(state, chat, params)
    prepared: list[tuple[str, Any, str | None, list[dict[str, Any]], bool]] = []
    for item in media:
        if not isinstance(item, dict) or item.get("type") not in (
            "photo",
            "video",
            "document",
            "audio",
        ):
            raise bad_request("can't parse InputMedia: unsupported media type")
        caption, entities = prepare_caption(item, strict_ampersand=state.strict_ampersand)
        prepared.append(
            (item["type"], item.get("media"), caption, entities, bool(item.get("has_spoiler")))
        )
    files = [resolve_file(ctx, value, kind) for kind, value, _, _, _ in prepared]
    group_id = state.new_media_group_id()
    result = []
    for (kind, _value, caption, entities, spoiler), stored in zip(prepared, files, strict=True):
        content: dict[str, Any] = {kind: file_payload(stored)}
        if caption:
            content["caption"] = caption
            if entities:
                content["caption_entities"] = entities
        if spoiler:
            content["has_media_spoiler"] = True
        result.append(
            _finish(
                ctx,
                chat,
                content,
                reply_to=reply_to,
                extra={"media_group_id": group_id},
            )
        )
    return result


@api_method("sendLocation", sends=True)
def send_location(ctx: MethodContext) -> dict[str, Any]:
    """A map point."""
    params = ctx.params
    chat = ctx.state.chat_for_send(params.get("chat_id"))
    try:
        lat, lon = float(params["latitude"]), float(params["longitude"])
    except (KeyError, TypeError, ValueError):
        raise bad_request("wrong latitude or longitude specified") from None
    raw_markup = params.get("reply_markup")
    inline = validate_reply_markup(raw_markup)
    reply_to = reply_target(ctx.state, chat, params)
    content = {"location": {"latitude": lat, "longitude": lon}}
    return _finish(
        ctx, chat, content, inline_markup=inline, raw_markup=raw_markup, reply_to=reply_to
    )


@api_method("sendContact", sends=True)
def send_contact(ctx: MethodContext) -> dict[str, Any]:
    """A phone contact card."""
    params = ctx.params
    chat = ctx.state.chat_for_send(params.get("chat_id"))
    if not params.get("phone_number"):
        raise bad_request("phone number is empty")
    if not params.get("first_name"):
        raise bad_request("first name is empty")
    raw_markup = params.get("reply_markup")
    inline = validate_reply_markup(raw_markup)
    reply_to = reply_target(ctx.state, chat, params)
    contact = {"phone_number": str(params["phone_number"]), "first_name": str(params["first_name"])}
    if params.get("last_name"):
        contact["last_name"] = str(params["last_name"])
    content = {"contact": contact}
    return _finish(
        ctx, chat, content, inline_markup=inline, raw_markup=raw_markup, reply_to=reply_to
    )


def _resend(
    ctx: MethodContext, missing: str, empty: str
) -> tuple[ChatRecord, dict[str, Any], dict[str, Any]]:
    """For copying or forwarding: the target chat, the source message and its content."""
    params = ctx.params
    chat = ctx.state.chat_for_send(params.get("chat_id"))
    source_chat = ctx.state.require_chat(params.get("from_chat_id"))
    message_id = required_int(params, "message_id")
    source = ctx.state.find_message(source_chat.id, message_id)
    if source is None:
        raise bad_request(missing)
    content = message_content(source.data)
    if not content:
        raise bad_request(empty)
    return chat, source.data, content


@api_method("copyMessage", sends=True)
def copy_message(ctx: MethodContext) -> dict[str, Any]:
    """Re-send content without a link to the original; returns ``MessageId``."""
    params = ctx.params
    state = ctx.state
    chat, source, content = _resend(ctx, "message to copy not found", "message can't be copied")
    if "caption" in params and media_kind(source):
        caption, entities = prepare_caption(params, strict_ampersand=state.strict_ampersand)
        content.pop("caption", None)
        content.pop("caption_entities", None)
        if caption:
            content["caption"] = caption
            if entities:
                content["caption_entities"] = entities
    raw_markup = params.get("reply_markup")
    inline = validate_reply_markup(raw_markup)
    reply_to = reply_target(state, chat, params)
    data = _finish(
        ctx, chat, content, inline_markup=inline, raw_markup=raw_markup, reply_to=reply_to
    )
    return {"message_id": data["message_id"]}


@api_method("forwardMessage", sends=True)
def forward_message(ctx: MethodContext) -> dict[str, Any]:
    """Forward with a ``forward_origin`` pointing at the original sender."""
    chat, source, content = _resend(
        ctx, "message to forward not found", "message can't be forwarded"
    )
    if "sender_chat" in source:
        origin: dict[str, Any] = {
            "type": "chat",
            "date": source["date"],
            "sender_chat": source["sender_chat"],
        }
    else:
        origin = {"type": "user", "date": source["date"], "sender_user": source["from"]}
    return _finish(
        ctx,
        chat,
        content,
        reply_to=None,
        extra={"forward_origin": origin},
    )
