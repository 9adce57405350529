"""Files that hold personal data (the SQLite database, its WAL files, the key file) are
readable by their owner only (0600), however the process's umask is set."""

from __future__ import annotations

import logging
import os
import stat
from pathlib import Path

log = logging.getLogger(__name__)

OWNER_ONLY = 0o600
# SQLite gives its -wal and -shm files the permissions of the database file.
SQLITE_COMPANIONS = ("-wal", "-shm", "-journal")


def create_private_file(path: Path) -> bool:
    """Create ``path`` empty and 0600 unless it exists; True if it was created."""
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, OWNER_ONLY)
    except FileExistsError:
        return False
    os.close(descriptor)
    return True


def restrict_to_owner(path: Path) -> None:
    """Take away group and other access from an existing file (made before 0600 was the rule)."""
    try:
        mode = stat.S_IMODE(path.stat().st_mode)
    except FileNotFoundError:
        return
    if mode & 0o077:
        path.chmod(mode & 0o700)
        log.warning("%s was readable by others (%o); it is now %o", path, mode, mode & 0o700)


def private_sqlite_file(database: Path) -> None:
    """The SQLite database (and any WAL files left beside it) private to the owner.

    An empty file is a valid empty database, so creating it first with 0600 means
    SQLite never makes it (or, after it, its -wal and -shm files) world-readable.
    """
    if not create_private_file(database):
        restrict_to_owner(database)
    for suffix in SQLITE_COMPANIONS:
        restrict_to_owner(database.with_name(database.name + suffix))
