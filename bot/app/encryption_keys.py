"""Where the personal-data encryption keys come from.

``DATA_ENCRYPTION_KEY`` (comma-separated, newest first) wins. Without it, a
single-instance SQLite installation keeps a generated key in a file beside the
database (readable by its owner only, 0600), so the quick start needs no set-up;
PostgreSQL installations (several instances) must set the variable, or every
instance would invent its own key.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

from sqlalchemy.engine import make_url

from bot.config.settings import Settings
from storage.crypto import configure_cipher, generate_key, is_valid_key
from storage.files import restrict_to_owner

log = logging.getLogger(__name__)


class EncryptionKeyError(RuntimeError):
    pass


def key_file_for(database_url: str) -> Path | None:
    url = make_url(database_url)
    if url.get_backend_name() != "sqlite" or url.database in (None, "", ":memory:"):
        return None
    return Path(url.database).expanduser().with_suffix(".key")


def load_keys(settings: Settings) -> list[str]:
    if settings.data_encryption_key is not None:
        keys = [k.strip() for k in settings.data_encryption_key.get_secret_value().split(",")]
        keys = [k for k in keys if k]
        bad = [i for i, k in enumerate(keys, 1) if not is_valid_key(k)]
        if not keys or bad:
            raise EncryptionKeyError(
                "DATA_ENCRYPTION_KEY must be one or more comma-separated Fernet keys "
                '(make one with: python -c "from cryptography.fernet import Fernet; '
                'print(Fernet.generate_key().decode())")'
            )
        return keys
    path = key_file_for(settings.database_url)
    if path is None:
        raise EncryptionKeyError(
            "DATA_ENCRYPTION_KEY is required with PostgreSQL: every instance must use the same key"
        )
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w", encoding="ascii") as handle:
            handle.write(generate_key() + "\n")
        log.warning("Created %s to encrypt personal data; back it up with the database", path)
    else:
        restrict_to_owner(path)
    return [path.read_text(encoding="ascii").strip()]


def configure_encryption(settings: Settings) -> None:
    configure_cipher(load_keys(settings))
