"""UTF-16 helpers: the Bot API measures text and entity offsets in UTF-16 code units."""

from __future__ import annotations


def utf16_len(text: str) -> int:
    """Length as Telegram counts it (an emoji outside the BMP counts as 2)."""
    if text.isascii():
        return len(text)
    return len(text.encode("utf-16-le")) // 2
