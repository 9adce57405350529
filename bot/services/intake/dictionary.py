"""``jieba``'s dictionary in a fifth of the memory, read the same way.

``jieba`` keeps its 350,000 words, and every word's beginnings, as one ``dict`` (its
``FREQ``: word → count, a beginning that is no word → 0): about 60 MB of Python objects
in every process. Most of those words are rare (毛蚶, 北河口: seen fewer than
``COMMON_COUNT`` times in jieba's corpus) and asked for only when a message holds their
characters. :class:`PackedDictionary` keeps the common words and their beginnings in the
``dict`` itself and the rare ones sorted in one string, found by bisection; it answers
``in``, ``[]`` and ``get`` exactly as jieba's own ``FREQ`` would, so every cut is the same.

Packing reads the whole dictionary once (about a second, and as much memory for a
moment as jieba's own ``dict``), so :func:`load` does it in a process of its own and
keeps the result in a cache file beside jieba's; later starts read that file.
"""

from __future__ import annotations

import marshal
import os
import subprocess
import sys
import tempfile
from array import array
from bisect import bisect_left
from collections.abc import Iterable
from pathlib import Path
from typing import Any

COMMON_COUNT = 30  # words seen this often or more stay in the dict (about 67,000)
FORMAT = 1  # of the cache file
PACKING_TIMEOUT = 120.0  # seconds


class PackedDictionary(dict[str, int]):
    """Word → count, with the rare words packed: a drop-in for ``Tokenizer.FREQ``."""

    def __init__(
        self, common: dict[str, int], rare_text: str, rare_starts: array, rare_counts: array
    ) -> None:
        super().__init__(common)
        self._rare_text = rare_text  # the rare words, sorted, end to end
        self._rare_starts = rare_starts  # word i is rare_text[starts[i]:starts[i + 1]]
        self._rare_counts = rare_counts

    @classmethod
    def of(cls, common: dict[str, int], rare: list[tuple[str, int]]) -> PackedDictionary:
        rare.sort()
        starts = array("I", [0])
        for word, _ in rare:
            starts.append(starts[-1] + len(word))
        counts = array("I", (count for _, count in rare))
        return cls(common, "".join(word for word, _ in rare), starts, counts)

    @property
    def rare_words(self) -> int:
        return len(self._rare_counts)

    def _rare_word(self, index: int) -> str:
        return self._rare_text[self._rare_starts[index] : self._rare_starts[index + 1]]

    def _rare(self, key: str) -> int | None:
        """A rare word's count, 0 for the beginning of one, None when no rare word begins so."""
        count = len(self._rare_counts)
        if not key:
            return None  # the empty string begins every word, but is none (as in jieba's)
        at = bisect_left(range(count), key, key=self._rare_word)
        if at == count:
            return None
        word = self._rare_word(at)  # the first word ≥ key: one that begins with it, if any
        if word == key:
            return self._rare_counts[at]
        return 0 if word.startswith(key) else None

    def __contains__(self, key: object) -> bool:
        if dict.__contains__(self, key):
            return True
        return isinstance(key, str) and self._rare(key) is not None

    def __missing__(self, key: str) -> int:
        found = self._rare(key)
        if found is None:
            raise KeyError(key)
        return found

    def get(self, key: str, default: Any = None) -> Any:
        found = dict.get(self, key)
        if found is not None:
            return found
        rare = self._rare(key)
        return default if rare is None else rare

    def dump(self, total: int) -> bytes:
        parts = (FORMAT, total, dict(self), self._rare_text)
        return marshal.dumps((*parts, self._rare_starts.tobytes(), self._rare_counts.tobytes()))

    @classmethod
    def undump(cls, data: bytes) -> tuple[PackedDictionary, int]:
        form, total, common, text, starts, counts = marshal.loads(data)
        if form != FORMAT:
            raise ValueError(f"dictionary cache format {form}, not {FORMAT}")
        rare_starts, rare_counts = array("I"), array("I")
        rare_starts.frombytes(starts)
        rare_counts.frombytes(counts)
        if len(rare_starts) != len(rare_counts) + 1 or rare_starts[-1] != len(text):
            raise ValueError("dictionary cache does not add up")
        return cls(common, text, rare_starts, rare_counts), total


def pack(lines: Iterable[bytes]) -> tuple[PackedDictionary, int]:
    """``(FREQ, total)`` from jieba's dictionary lines ("word count [tag]"), as its own
    ``gen_pfdict`` makes them: a repeated word keeps its last count, the total counts
    every line."""
    common: dict[str, int] = {}
    rare: dict[str, int] = {}
    total = 0
    for line in lines:
        word, count_text = line.strip().decode("utf-8").split(" ")[:2]
        count = int(count_text)
        total += count
        if count >= COMMON_COUNT:
            rare.pop(word, None)
            common[word] = count
            for end in range(1, len(word)):
                common.setdefault(word[:end], 0)
        else:
            rare[word] = count
    # A rare word that is a key already (it begins a common word, or was one on an
    # earlier line) gets its count there.
    packed = []
    for word, count in rare.items():
        if word in common:
            common[word] = count
        else:
            packed.append((word, count))
    return PackedDictionary.of(common, packed), total


def cache_path(dictionary: Path, cache_dir: Path) -> Path:
    seen = dictionary.stat()
    name = f"resident-bot-words-{FORMAT}-{COMMON_COUNT}-{seen.st_size}-{seen.st_mtime_ns}.marshal"
    return cache_dir / name


def load(dictionary: Path, cache_dir: Path | None = None) -> tuple[PackedDictionary, int]:
    """The packed dictionary of this dictionary file: from its cache, packed first in a
    process of its own when there is none (or it is unreadable); in this process only if
    that fails (a read-only temporary directory)."""
    cache = cache_path(dictionary, cache_dir or Path(tempfile.gettempdir()))
    for attempt in range(2):
        try:
            return PackedDictionary.undump(_own_file(cache))
        except (OSError, ValueError, EOFError, TypeError):
            if attempt:
                break
        packing = [sys.executable, "-m", __name__, str(dictionary), str(cache)]
        try:
            subprocess.run(packing, check=True, capture_output=True, timeout=PACKING_TIMEOUT)
        except (OSError, subprocess.SubprocessError):
            break
    with dictionary.open("rb") as lines:
        return pack(lines)


def _own_file(path: Path) -> bytes:
    """The file's bytes, if this user wrote it (the temporary directory is everyone's)."""
    with path.open("rb") as file:
        if os.fstat(file.fileno()).st_uid != os.getuid():
            raise PermissionError(f"{path} belongs to another user")
        return file.read()


def write_cache(dictionary: Path, cache: Path) -> None:
    with dictionary.open("rb") as lines:
        packed, total = pack(lines)
    fd, temporary = tempfile.mkstemp(dir=cache.parent, prefix=cache.name, suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(packed.dump(total))
        os.replace(temporary, cache)  # whole or not at all, if two processes race
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


if __name__ == "__main__":  # python -m bot.services.intake.dictionary DICTIONARY CACHE
    write_cache(Path(sys.argv[1]), Path(sys.argv[2]))
