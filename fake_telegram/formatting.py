"""Turn ``text``/``caption`` + ``parse_mode``/``entities`` into what Telegram stores.

Telegram stores the *visible* text (markup removed, leading/trailing whitespace
trimmed) with a list of entities, and applies its limits (4096 for text, 1024 for
captions) to that visible text in UTF-16 code units.  Doing the same here keeps
"message is too long" and "message is not modified" faithful.

Only ``HTML`` is parsed.  ``MarkdownV2``/``Markdown`` text is stored verbatim with
no entities (a documented limitation of the fake).
"""

from __future__ import annotations

from typing import Any

from fake_telegram.errors import bad_request
from fake_telegram.html_check import HtmlParseError, parse_html
from fake_telegram.text_units import utf16_len

TEXT_LIMIT = 4096
CAPTION_LIMIT = 1024
_TRIM = " \t\r\n\f\v\x00"


def _trim(text: str, entities: list[dict[str, Any]]) -> tuple[str, list[dict[str, Any]]]:
    """Strip surrounding whitespace like Telegram, shifting/clipping entities."""
    stripped_left = text.lstrip(_TRIM)
    lead = len(text) - len(stripped_left)  # whitespace is BMP: chars == UTF-16 units
    result = stripped_left.rstrip(_TRIM)
    if not entities or (lead == 0 and len(result) == len(stripped_left)):
        return result, entities
    new_len = utf16_len(result)
    fixed: list[dict[str, Any]] = []
    for entity in entities:
        start = max(int(entity["offset"]) - lead, 0)
        end = min(int(entity["offset"]) + int(entity["length"]) - lead, new_len)
        if end > start:
            fixed.append({**entity, "offset": start, "length": end - start})
    return result, fixed


def format_text(
    text: str,
    parse_mode: str | None,
    entities: list[dict[str, Any]] | None,
    *,
    strict_ampersand: bool = True,
) -> tuple[str, list[dict[str, Any]]]:
    """Return ``(visible_text, entities)`` or raise the 400 Telegram would send."""
    if parse_mode and parse_mode.lower() == "html":
        try:
            visible, found = parse_html(text, strict_ampersand=strict_ampersand)
        except HtmlParseError as exc:
            raise bad_request(f"can't parse entities: {exc}") from None
    else:
        visible = text
        found = [dict(e) for e in entities] if isinstance(entities, list) else []
    return _trim(visible, found)


def prepare_text(
    params: dict[str, Any], *, strict_ampersand: bool = True
) -> tuple[str, list[dict[str, Any]]]:
    """Validate a message ``text`` the way sendMessage/editMessageText do."""
    raw = params.get("text")
    if raw is None or raw == "":
        raise bad_request("message text is empty")
    visible, entities = format_text(
        str(raw),
        params.get("parse_mode"),
        params.get("entities"),
        strict_ampersand=strict_ampersand,
    )
    if not visible:
        raise bad_request("message text is empty")
    if utf16_len(visible) > TEXT_LIMIT:
        raise bad_request("message is too long")
    return visible, entities


def prepare_caption(
    params: dict[str, Any], *, strict_ampersand: bool = True
) -> tuple[str | None, list[dict[str, Any]]]:
    """Validate a media ``caption``; an empty caption simply means "no caption"."""
    caption = params.get("caption")
    if caption is None or caption == "":
        return None, []
    visible, found = format_text(
        str(caption),
        params.get("parse_mode"),
        params.get("caption_entities"),
        strict_ampersand=strict_ampersand,
    )
    if utf16_len(visible) > CAPTION_LIMIT:
        raise bad_request("message caption is too long")
    return (visible or None), found
