"""aiogram FSM storage backed by our SQL database.

A half-finished conversation survives a restart and is shared by every bot
instance. Inside an update the storage writes through the update's own session
(see :mod:`storage.session_context`), so a step's state change commits, or rolls
back, with everything else the step did.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import asynccontextmanager
from datetime import datetime
from typing import Any

from aiogram.fsm.state import State
from aiogram.fsm.storage.base import (
    BaseStorage,
    DefaultKeyBuilder,
    KeyBuilder,
    StateType,
    StorageKey,
)
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from storage.models import FsmRecord
from storage.session_context import current_session


class SqlStorage(BaseStorage):
    def __init__(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        now: Callable[[], datetime],
        key_builder: KeyBuilder | None = None,
    ) -> None:
        self._sessionmaker = sessionmaker
        self._now = now
        self._key_builder = key_builder or DefaultKeyBuilder(with_destiny=True)

    @asynccontextmanager
    async def _session(self) -> AsyncIterator[AsyncSession]:
        shared = current_session.get()
        if shared is not None:
            yield shared
            return
        async with self._sessionmaker() as own, own.begin():
            yield own

    async def _record(self, session: AsyncSession, key: StorageKey) -> FsmRecord:
        built = self._key_builder.build(key)
        record = await session.get(FsmRecord, built)
        if record is None:
            record = FsmRecord(key=built, state=None, data={}, updated_at=self._now())
            session.add(record)
        return record

    async def set_state(self, key: StorageKey, state: StateType = None) -> None:
        value = state.state if isinstance(state, State) else state
        async with self._session() as session:
            record = await self._record(session, key)
            record.state = value
            record.updated_at = self._now()
            await session.flush()

    async def get_state(self, key: StorageKey) -> str | None:
        async with self._session() as session:
            record = await session.get(FsmRecord, self._key_builder.build(key))
            return record.state if record else None

    async def set_data(self, key: StorageKey, data: Mapping[str, Any]) -> None:
        if not isinstance(data, Mapping):
            raise TypeError(f"FSM data must be a mapping, not {type(data).__name__}")
        async with self._session() as session:
            record = await self._record(session, key)
            record.data = dict(data)  # a new object, so SQLAlchemy sees the change
            record.updated_at = self._now()
            await session.flush()

    async def get_data(self, key: StorageKey) -> dict[str, Any]:
        async with self._session() as session:
            record = await session.get(FsmRecord, self._key_builder.build(key))
            return dict(record.data) if record and record.data else {}

    async def close(self) -> None:
        """Nothing to close: the engine belongs to the application."""
