"""The SQL FSM storage behaves like aiogram's own storages, and joins the update's transaction."""

from __future__ import annotations

import pytest
from aiogram.fsm.state import State, StatesGroup
from aiogram.fsm.storage.base import StorageKey

from bot.clock import ManualClock
from storage.fsm import SqlStorage
from storage.session_context import current_session


class Form(StatesGroup):
    name = State()


KEY = StorageKey(bot_id=42, chat_id=-1001, user_id=7)
OTHER = StorageKey(bot_id=42, chat_id=-1001, user_id=8)


@pytest.fixture
def storage(sessionmaker, clock: ManualClock) -> SqlStorage:
    return SqlStorage(sessionmaker, clock.now)


async def test_state_round_trips_and_clears(storage: SqlStorage) -> None:
    assert await storage.get_state(KEY) is None
    await storage.set_state(KEY, Form.name)
    assert await storage.get_state(KEY) == "Form:name"
    await storage.set_state(KEY, "custom")
    assert await storage.get_state(KEY) == "custom"
    await storage.set_state(KEY, None)
    assert await storage.get_state(KEY) is None


async def test_data_round_trips_with_unicode(storage: SqlStorage) -> None:
    assert await storage.get_data(KEY) == {}
    data = {"text": "天花板漏水 💧 مرحبا", "photos": ["a", "b"], "n": 3}
    await storage.set_data(KEY, data)
    assert await storage.get_data(KEY) == data
    assert await storage.update_data(KEY, {"n": 4}) == {**data, "n": 4}
    assert await storage.get_value(KEY, "n") == 4
    assert await storage.get_value(KEY, "missing", "default") == "default"


async def test_keys_are_isolated(storage: SqlStorage) -> None:
    await storage.set_state(KEY, "a")
    await storage.set_data(KEY, {"x": 1})
    assert await storage.get_state(OTHER) is None
    assert await storage.get_data(OTHER) == {}


async def test_data_must_be_a_mapping(storage: SqlStorage) -> None:
    with pytest.raises(TypeError):
        await storage.set_data(KEY, ["not", "a", "dict"])  # type: ignore[arg-type]


async def test_state_survives_a_new_storage_instance(sessionmaker, clock) -> None:
    await SqlStorage(sessionmaker, clock.now).set_state(KEY, "step-2")
    assert await SqlStorage(sessionmaker, clock.now).get_state(KEY) == "step-2"


async def test_writes_inside_an_update_roll_back_with_it(storage: SqlStorage, sessionmaker) -> None:
    await storage.set_state(KEY, "before")
    async with sessionmaker() as session:
        token = current_session.set(session)
        try:
            await session.begin()
            await storage.set_state(KEY, "during")
            await storage.set_data(KEY, {"half": "done"})
            assert await storage.get_state(KEY) == "during"  # visible inside the transaction
            await session.rollback()  # the handler failed
        finally:
            current_session.reset(token)
    assert await storage.get_state(KEY) == "before"
    assert await storage.get_data(KEY) == {}
