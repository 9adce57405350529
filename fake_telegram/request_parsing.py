"""Decode a Bot API request into ``(params, uploads)``.

The Bot API accepts query strings, ``application/x-www-form-urlencoded``,
``multipart/form-data`` and ``application/json``.  aiogram's AiohttpSession sends
form data in which every non-string value (ints, bools, ``reply_markup``,
``entities``, ``media`` ...) is JSON-encoded, and uses multipart only when files are
attached.  We decode values back to Python types so tests can compare
``params["chat_id"] == 42`` and ``params["reply_markup"]["inline_keyboard"]``.

Parameters that are free text in the API are never JSON-decoded: a resident
typing ``123`` or ``true`` must stay the string the bot sent.
"""

from __future__ import annotations

import json
from typing import Any

from aiohttp import web
from multidict import MultiMapping

from fake_telegram.errors import bad_request
from fake_telegram.models import UploadedFile

#: Free-text parameters: kept exactly as sent.
STRING_PARAMS = frozenset(
    {
        "text",
        "caption",
        "parse_mode",
        "caption_parse_mode",
        "title",
        "description",
        "short_description",
        "name",
        "first_name",
        "last_name",
        "phone_number",
        "vcard",
        "callback_query_id",
        "inline_message_id",
        "url",
        "emoji",
        "language_code",
        "secret_token",
        "business_connection_id",
        "action",
        "address",
        "foursquare_id",
        "question",
        "file_id",
        "sticker",
        "custom_emoji_id",
        "message_effect_id",
        "ip_address",
        # file parameters: a file_id, a URL or "attach://<part>", never JSON
        "photo",
        "document",
        "video",
        "audio",
        "voice",
        "animation",
        "video_note",
        "thumbnail",
    }
)


FILE_PARAMS = frozenset(
    {"photo", "document", "video", "audio", "voice", "animation", "video_note", "sticker"}
)


def decode_value(key: str, value: Any) -> Any:
    """JSON-decode ``value`` unless it is free text or not JSON at all."""
    if not isinstance(value, str) or key in STRING_PARAMS or value == "":
        return value
    first = value[0]
    if first in '{["-0123456789tfn':
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


def _decode_fields(fields: MultiMapping[Any]) -> tuple[dict[str, Any], dict[str, UploadedFile]]:
    params: dict[str, Any] = {}
    uploads: dict[str, UploadedFile] = {}
    for key, value in fields.items():
        if isinstance(value, web.FileField):
            uploads[key] = UploadedFile(
                filename=value.filename,
                data=value.file.read(),
                content_type=value.content_type,
            )
            if key in FILE_PARAMS:
                # A part sent directly under a parameter name is equivalent to attach://.
                params.setdefault(key, f"attach://{key}")
        else:
            params[key] = decode_value(key, value)
    return params, uploads


async def parse_request(request: web.Request) -> tuple[dict[str, Any], dict[str, UploadedFile]]:
    """Merge query-string and body parameters (body wins), decoding JSON values."""
    params, uploads = _decode_fields(request.query)
    if request.method != "POST" or not request.body_exists:
        return params, uploads
    content_type = request.content_type
    if content_type == "application/json":
        try:
            body = await request.json()
        except ValueError:
            raise bad_request("can't parse JSON request body") from None
        if not isinstance(body, dict):
            raise bad_request("request body must be a JSON object")
        params.update({key: decode_value(key, value) for key, value in body.items()})
        return params, uploads
    if content_type in ("multipart/form-data", "application/x-www-form-urlencoded"):
        body_params, body_uploads = _decode_fields(await request.post())
        params.update(body_params)
        uploads.update(body_uploads)
    return params, uploads
