"""What a transaction has read once, remembered in its session until it ends.

An update asks the same question more than once (its conversation, the resident's
units, the staff group it came from), often from different layers. Each answer is read
once and kept here, under a name of the asker's, for the rest of the transaction. When
the transaction commits or rolls back everything is forgotten: the next transaction of
the same session reads afresh what others may have changed meanwhile. Code that changes
what it remembered calls :func:`forget` (or keeps the memo up to date itself).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

_MEMOS = "transaction_memos"  # session.info: name → that asker's memo


def memo(session: AsyncSession | Session, name: str) -> dict[Any, Any]:
    """The memo ``name`` of the session's current transaction (empty at first)."""
    memos: dict[str, dict[Any, Any]] = session.info.setdefault(_MEMOS, {})
    return memos.setdefault(name, {})


def peek(session: AsyncSession | Session, name: str) -> dict[Any, Any] | None:
    """The memo ``name`` if this transaction has one, without making one."""
    memos: dict[str, dict[Any, Any]] | None = session.info.get(_MEMOS)
    return memos.get(name) if memos else None


def forget(session: AsyncSession | Session, name: str, key: Any = None) -> None:
    """Forget ``key`` in the memo ``name`` (without ``key``: the whole memo)."""
    remembered = peek(session, name)
    if remembered is None:
        return
    if key is None:
        remembered.clear()
    else:
        remembered.pop(key, None)


@event.listens_for(Session, "after_commit")
@event.listens_for(Session, "after_rollback")
def _transaction_ended(session: Session) -> None:
    session.info.pop(_MEMOS, None)
