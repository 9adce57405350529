"""Work to start once a transaction has committed, and only then.

A handler that starts work outside its update's transaction (a report, a file, a private
message whose refusal it must act on) asks for it here: the work starts when that
transaction commits and is dropped if it ends any other way. An update's transaction can
be tried twice (SQLite, after meeting another writer: ``bot/app/runtime/handling.py``)
or fail and be handled again later; work started at once would run once for each try,
and for a try whose changes were never stored.

The hooks are kept in the session's ``info`` and run by two listeners on every session:
``after_commit`` starts them, ``after_transaction_end`` of the outermost transaction drops
what is left (a rollback, or a session closed with its transaction open).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session, SessionTransaction

_KEY = "on_commit"


@dataclass(frozen=True, slots=True)
class _Hook:
    start: Callable[[], None]
    drop: Callable[[], None]


def on_commit(
    session: AsyncSession, start: Callable[[], None], drop: Callable[[], None] = lambda: None
) -> None:
    """Call ``start`` once ``session``'s transaction commits, or ``drop`` if it does not.
    Outside a transaction ``start`` is called now. Both must be quick and must not raise:
    they run inside the commit (``start`` schedules work, it does not do it)."""
    if not session.in_transaction():
        start()
        return
    session.info.setdefault(_KEY, []).append(_Hook(start, drop))


@event.listens_for(Session, "after_commit")
def _committed(session: Session) -> None:
    for hook in session.info.pop(_KEY, ()):
        hook.start()


@event.listens_for(Session, "after_transaction_end")
def _ended(session: Session, transaction: SessionTransaction) -> None:
    if transaction.parent is None:  # the outermost one; a savepoint's end decides nothing
        for hook in session.info.pop(_KEY, ()):
            hook.drop()
