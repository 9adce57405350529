"""Save and restore what the fake remembers, so a local sandbox survives a restart.

The bot keeps its own database across restarts; the fake must then remember the
same chats (message ids the bot will edit), files and update ids (the bot ignores
an ``update_id`` it has already seen), or the two would disagree.  The snapshot is a
pickle of plain data written by this process for itself: load only files you wrote.
"""

from __future__ import annotations

import itertools
import pickle
from pathlib import Path
from typing import Any

from fake_telegram.state import BotState

_VERSION = 1


def _next_of(counter: itertools.count[int]) -> int:
    """The value ``counter`` gives next (it is consumed, so the caller must replace it)."""
    return next(counter)


def dump_state(state: BotState) -> bytes:
    """Users, chats with their messages, files, pending updates and counters."""
    files = state.files
    media_groups = _next_of(state._media_group_counter)
    state._media_group_counter = itertools.count(media_groups)
    file_numbers = _next_of(files._numbers)
    files._numbers = itertools.count(file_numbers)
    snapshot: dict[str, Any] = {
        "version": _VERSION,
        "users": state.users,
        "chats": state.chats,
        "files": (files._by_id, files._by_path, file_numbers),
        "updates": list(state.updates),
        "next_update_id": state.next_update_id,
        "commands": state.commands,
        "media_groups": media_groups,
    }
    return pickle.dumps(snapshot, protocol=pickle.HIGHEST_PROTOCOL)


def load_state(state: BotState, data: bytes) -> None:
    """Put a :func:`dump_state` snapshot back into a fresh ``state``."""
    snapshot = pickle.loads(data)
    if snapshot.get("version") != _VERSION:
        raise ValueError("snapshot of another version")
    state.users = snapshot["users"]
    state.chats = snapshot["chats"]
    by_id, by_path, file_numbers = snapshot["files"]
    state.files._by_id, state.files._by_path = by_id, by_path
    state.files._numbers = itertools.count(file_numbers)
    state.updates.clear()
    state.updates.extend(snapshot["updates"])
    state.next_update_id = snapshot["next_update_id"]
    state.last_delivered_update_id = state.next_update_id - 1 - len(state.updates)
    state.commands = snapshot["commands"]
    state._media_group_counter = itertools.count(snapshot["media_groups"])


def save_to(state: BotState, path: Path) -> None:
    """Write the snapshot atomically (a crash leaves the previous one)."""
    temporary = path.with_suffix(path.suffix + ".tmp")
    temporary.write_bytes(dump_state(state))
    temporary.replace(path)


def load_from(state: BotState, path: Path) -> bool:
    """Restore from ``path``; ``False`` when there is no usable snapshot."""
    try:
        load_state(state, path.read_bytes())
    except (OSError, ValueError, pickle.UnpicklingError, KeyError, EOFError):
        return False
    return True
