"""The database session of the update being handled.

The update middleware opens one session per update and publishes it here, so
that components called by aiogram itself (the FSM storage) join the same
transaction: a conversation step, the domain change it causes and the
notifications it queues commit together or not at all.
"""

from __future__ import annotations

from contextvars import ContextVar

from sqlalchemy.ext.asyncio import AsyncSession

current_session: ContextVar[AsyncSession | None] = ContextVar("current_session", default=None)
