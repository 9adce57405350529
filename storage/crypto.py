"""Encryption of personal data at rest.

Personal fields (phone numbers) are stored encrypted with Fernet (AES-128-CBC +
HMAC-SHA256, from the ``cryptography`` package); lookups use a keyed hash (a
"blind index") of the normalised value, so equality searches work without
decrypting every row. Several keys may be configured, newest first: the newest
encrypts, all decrypt (key rotation).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Callable
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from sqlalchemy import Text
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator


class CipherNotConfigured(RuntimeError):
    pass


class FieldCipher:
    def __init__(self, keys: list[str]) -> None:
        if not keys:
            raise ValueError("at least one encryption key is needed")
        self._fernet = MultiFernet([Fernet(k.encode() if isinstance(k, str) else k) for k in keys])
        # A separate key for the blind index, derived so one secret is enough to configure.
        self._index_key = hashlib.sha256(b"blind-index:" + keys[0].encode()).digest()

    def encrypt(self, value: str) -> str:
        return self._fernet.encrypt(value.encode("utf-8")).decode("ascii")

    def decrypt(self, token: str) -> str:
        return _opening(self._fernet.decrypt, token).decode("utf-8")

    def rotate(self, token: str) -> str:
        """``token`` encrypted again with the newest key (a value another key wrote)."""
        return _opening(self._fernet.rotate, token).decode("ascii")

    def blind_index(self, value: str) -> str:
        return hmac.new(self._index_key, value.encode("utf-8"), hashlib.sha256).hexdigest()


def _opening(open_token: Callable[[bytes], bytes], token: str) -> bytes:
    try:
        return open_token(token.encode("ascii"))
    except InvalidToken as error:
        raise ValueError("personal data cannot be decrypted with the configured keys") from error


_cipher: FieldCipher | None = None


def configure_cipher(keys: list[str]) -> FieldCipher:
    global _cipher
    _cipher = FieldCipher(keys)
    return _cipher


def cipher() -> FieldCipher:
    if _cipher is None:
        raise CipherNotConfigured("configure_cipher() must run before personal data is stored")
    return _cipher


def generate_key() -> str:
    return Fernet.generate_key().decode("ascii")


def is_valid_key(key: str) -> bool:
    try:
        return len(base64.urlsafe_b64decode(key.encode())) == 32
    except (ValueError, TypeError):
        return False


def normalise_phone(phone: str) -> str:
    """Digits with a leading + kept, so "+86 138-0000 0000" and "+8613800000000" match."""
    digits = "".join(ch for ch in phone if ch.isdigit())
    return f"+{digits}" if phone.strip().startswith("+") else digits


class EncryptedText(TypeDecorator[str]):
    """A text column whose value is encrypted in the database and plain in Python."""

    impl = Text
    cache_ok = True

    def process_bind_param(self, value: str | None, dialect: Dialect) -> str | None:
        return None if value is None else cipher().encrypt(value)

    def process_result_value(self, value: Any, dialect: Dialect) -> str | None:
        return None if value is None else cipher().decrypt(value)
