"""The sandbox's clock: real time plus however far the viewer has moved it forward.

It runs like the real clock (so messages get plausible times) and jumps ahead when
the viewer asks; the jump is kept in a small file so a restarted sandbox does not go
back in time against its own database.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path


class SandboxClock:
    def __init__(self, path: Path, wall: Callable[[], datetime] | None = None) -> None:
        self._path = path
        self._wall = wall or (lambda: datetime.now(UTC))
        self._lock = threading.Lock()
        self._ahead = timedelta(0)
        try:
            seconds = json.loads(path.read_text(encoding="utf-8"))["ahead_seconds"]
            self._ahead = timedelta(seconds=float(seconds))
        except (OSError, ValueError, KeyError, TypeError):
            pass

    def now(self) -> datetime:
        with self._lock:
            return self._wall() + self._ahead

    @property
    def ahead(self) -> timedelta:
        with self._lock:
            return self._ahead

    def advance(self, step: timedelta) -> datetime:
        if step < timedelta(0):
            raise ValueError("time only moves forward")
        with self._lock:
            self._ahead += step
            self._path.write_text(
                json.dumps({"ahead_seconds": self._ahead.total_seconds()}), encoding="utf-8"
            )
        return self.now()
