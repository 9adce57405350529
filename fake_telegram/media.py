"""Tiny, genuinely decodable media payloads and file-id generation.

Tests need photos whose bytes can be downloaded and, ideally, opened by an image
library, without shipping binary fixtures.  :func:`make_jpeg` writes a baseline
grayscale JPEG by hand: with one-symbol Huffman tables every 8x8 block costs two
bits, so even 320x240 is ~350 bytes.  A comment segment carries a label so every
generated photo has distinct bytes (and thus distinct hashes in the bot's storage).
"""

from __future__ import annotations

import itertools
import struct

_counter = itertools.count(1)


def _segment(marker: int, payload: bytes) -> bytes:
    return struct.pack(">HH", 0xFF00 | marker, len(payload) + 2) + payload


def make_jpeg(width: int = 320, height: int = 240, label: str = "") -> bytes:
    """A valid mid-gray baseline JPEG of ``width`` x ``height`` pixels."""
    if not (0 < width <= 65535 and 0 < height <= 65535):
        raise ValueError("JPEG dimensions must be within 1..65535")
    comment = (label or f"fake-telegram-{next(_counter)}").encode()
    quant = _segment(0xDB, b"\x00" + b"\x01" * 64)
    frame = _segment(0xC0, struct.pack(">BHHB", 8, height, width, 1) + b"\x01\x11\x00")
    one_code = b"\x01" + b"\x00" * 15 + b"\x00"  # one code of length 1 -> symbol 0
    dc_table = _segment(0xC4, b"\x00" + one_code)
    ac_table = _segment(0xC4, b"\x10" + one_code)  # symbol 0x00 = end of block
    scan = _segment(0xDA, b"\x01\x01\x00\x00\x3f\x00")
    blocks = ((width + 7) // 8) * ((height + 7) // 8)
    bits = 2 * blocks  # "0" (DC diff 0) + "0" (EOB) per block
    data = bytearray(bits // 8)
    if bits % 8:
        data.append((1 << (8 - bits % 8)) - 1)  # pad the last byte with 1-bits
    return b"".join(
        [
            b"\xff\xd8",
            _segment(0xFE, comment),
            quant,
            frame,
            dc_table,
            ac_table,
            scan,
            bytes(data),
            b"\xff\xd9",
        ]
    )


def image_size(data: bytes) -> tuple[int, int] | None:
    """``(width, height)`` of a PNG/JPEG/GIF, or ``None`` when not recognised."""
    if data.startswith(b"\x89PNG\r\n\x1a\n") and len(data) >= 24:
        width, height = struct.unpack(">II", data[16:24])
        return int(width), int(height)
    if data[:6] in (b"GIF87a", b"GIF89a") and len(data) >= 10:
        width, height = struct.unpack("<HH", data[6:10])
        return int(width), int(height)
    if data.startswith(b"\xff\xd8"):
        i = 2
        while i + 4 <= len(data):
            if data[i] != 0xFF:
                return None
            marker = data[i + 1]
            length = struct.unpack(">H", data[i + 2 : i + 4])[0]
            if marker in (0xC0, 0xC1, 0xC2) and i + 9 <= len(data):
                height, width = struct.unpack(">HH", data[i + 5 : i + 9])
                return int(width), int(height)
            i += 2 + length
    return None


def guess_mime(filename: str | None, data: bytes) -> str:
    """A plausible ``mime_type`` for a document, from its name or magic bytes."""
    name = (filename or "").lower()
    by_suffix = {
        ".pdf": "application/pdf",
        ".txt": "text/plain",
        ".csv": "text/csv",
        ".json": "application/json",
        ".jpg": "image/jpeg",
        ".jpeg": "image/jpeg",
        ".png": "image/png",
        ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        ".zip": "application/zip",
        ".ogg": "audio/ogg",
        ".mp4": "video/mp4",
    }
    for suffix, mime in by_suffix.items():
        if name.endswith(suffix):
            return mime
    if data.startswith(b"%PDF"):
        return "application/pdf"
    if data.startswith(b"\xff\xd8"):
        return "image/jpeg"
    if data.startswith(b"\x89PNG"):
        return "image/png"
    return "application/octet-stream"
