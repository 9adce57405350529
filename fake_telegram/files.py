"""Files the fake knows, under the ids and paths Telegram would give them."""

from __future__ import annotations

import itertools
from dataclasses import dataclass

from fake_telegram.models import FileDetails, StoredFile


@dataclass(frozen=True)
class _Kind:
    """How Telegram names one kind of file; ``extension`` when the file name gives none."""

    id_prefix: str
    folder: str
    extension: str = "bin"


_KINDS = {
    "photo": _Kind("AgACAgUAAxkBAAI", "photos", "jpg"),
    "document": _Kind("BQACAgUAAxkBAAI", "documents"),
    "voice": _Kind("AwACAgUAAxkBAAI", "voice", "oga"),
    "sticker": _Kind("CAACAgUAAxkBAAI", "stickers", "webp"),
    "video": _Kind("BAACAgUAAxkBAAI", "videos"),
    "audio": _Kind("CQACAgUAAxkBAAI", "music"),
    "animation": _Kind("CgACAgUAAxkBAAI", "animations"),
}


class FileStore:
    """Every file pushed by a user or uploaded by the bot, by ``file_id`` and by path."""

    def __init__(self) -> None:
        self._by_id: dict[str, StoredFile] = {}
        self._by_path: dict[str, StoredFile] = {}
        self._numbers = itertools.count(1)

    def add(
        self, kind: str, data: bytes, details: FileDetails, *, extension: str | None = None
    ) -> StoredFile:
        """Register bytes under fresh ``file_id``/``file_unique_id``/``file_path``."""
        number = next(self._numbers)
        naming = _KINDS.get(kind, _KINDS["document"])
        if extension is None:
            name = details.file_name or ""
            extension = name.rsplit(".", 1)[1] if "." in name else naming.extension
        stored = StoredFile(
            file_id=f"{naming.id_prefix}{number:06d}{kind[:2].upper()}Fk",
            file_unique_id=f"AQAD{number:06d}",
            file_path=f"{naming.folder}/file_{number}.{extension}",
            data=data,
            kind=kind,
            details=details,
        )
        self._by_id[stored.file_id] = stored
        self._by_path[stored.file_path] = stored
        return stored

    def get(self, file_id: str) -> StoredFile | None:
        return self._by_id.get(file_id)

    def __getitem__(self, file_id: str) -> StoredFile:
        return self._by_id[file_id]

    def at_path(self, file_path: str) -> StoredFile | None:
        """The file a download URL (``/file/bot<token>/<path>``) names."""
        return self._by_path.get(file_path)
