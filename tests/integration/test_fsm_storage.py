"""The SQL FSM storage behaves like aiogram's own storages, and joins the update's transaction."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

import pytest
from aiogram.fsm.state import State, StatesGroup
from aiogram.fsm.storage.base import StorageKey
from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import ManualClock
from storage.fsm import SqlStorage, keys_holding, replace_placeholders, tracking_writes
from storage.session_context import current_session
from storage.statements import StatementCounter


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


@contextlib.asynccontextmanager
async def one_update(sessionmaker) -> AsyncIterator[AsyncSession]:
    """A session the storage works through, as it does for an update, committed at the end."""
    async with sessionmaker() as session:
        token = current_session.set(session)
        try:
            async with session.begin():
                yield session
        finally:
            current_session.reset(token)


async def test_an_update_reads_once_and_writes_once_at_the_commit(
    storage: SqlStorage, sessionmaker, engine
) -> None:
    await storage.set_state(KEY, "step-1")
    with StatementCounter(engine) as counter:
        async with one_update(sessionmaker):
            assert await storage.get_state(KEY) == "step-1"
            await storage.set_state(KEY, "step-2")
            await storage.set_data(KEY, {"draft": {"text": "leak"}})
            await storage.set_data(KEY, {"draft": {"text": "a leak"}})
            assert await storage.get_data(KEY) == {"draft": {"text": "a leak"}}
            assert [s.split()[0] for s in counter.in_scope("other")] == ["SELECT"]
        written = [s.split()[0] for s in counter.in_scope("other")]
    assert written == ["SELECT", "UPDATE"]
    assert await storage.get_state(KEY) == "step-2"
    assert await storage.get_data(KEY) == {"draft": {"text": "a leak"}}


async def test_nothing_changed_nothing_written(storage: SqlStorage, sessionmaker, engine) -> None:
    await storage.set_state(KEY, "step-1")
    await storage.set_data(KEY, {"n": 1})
    with StatementCounter(engine) as counter:
        async with one_update(sessionmaker):
            await storage.set_state(KEY, "step-1")
            await storage.set_data(KEY, {"n": 1})
            await storage.get_data(OTHER)
            await storage.set_state(OTHER, None)  # no conversation to end
        assert [s.split()[0] for s in counter.in_scope("other")] == ["SELECT", "SELECT"]


async def test_a_new_conversation_is_inserted_once(
    storage: SqlStorage, sessionmaker, engine
) -> None:
    with StatementCounter(engine) as counter:
        async with one_update(sessionmaker):
            await storage.set_state(KEY, Form.name)
            await storage.set_data(KEY, {"asked": True})
        assert [s.split()[0] for s in counter.in_scope("other")] == ["SELECT", "INSERT"]
    assert await storage.get_state(KEY) == "Form:name"
    assert await storage.get_data(KEY) == {"asked": True}


async def test_data_changed_in_place_and_given_back_is_written(
    storage: SqlStorage, sessionmaker
) -> None:
    """get_data hands out a copy: were it the record's own dict, the change made in place
    would already be in the record, set_data would find nothing new, and write nothing."""
    await storage.set_data(KEY, {"photos": ["a"]})
    async with one_update(sessionmaker):
        data = await storage.get_data(KEY)
        data["photos"].append("b")
        await storage.set_data(KEY, data)
    assert await storage.get_data(KEY) == {"photos": ["a", "b"]}


STAND_IN = -(2**40) - 5


async def test_stand_in_message_ids_are_replaced_after_the_commit(
    storage: SqlStorage, sessionmaker
) -> None:
    await storage.set_data(OTHER, {"prompt": STAND_IN})  # another conversation: untouched
    with tracking_writes() as written:
        async with one_update(sessionmaker) as session:
            await storage.set_data(KEY, {"prompt": STAND_IN, "photos": [STAND_IN, 7]})
            await storage.set_state(KEY, Form.name)
            holding = keys_holding(session, written, lambda value: value <= -(2**40))
    assert holding == written and len(holding) == 1
    async with sessionmaker() as session, session.begin():
        await replace_placeholders(session, holding, {STAND_IN: 501})
    assert await storage.get_data(KEY) == {"prompt": 501, "photos": [501, 7]}
    assert await storage.get_state(KEY) == "Form:name"
    assert await storage.get_data(OTHER) == {"prompt": STAND_IN}


async def test_each_transaction_of_a_session_reads_afresh_and_writes_its_own_change(
    storage: SqlStorage, sessionmaker, engine
) -> None:
    async with sessionmaker() as session:
        token = current_session.set(session)
        try:
            with StatementCounter(engine) as counter:
                async with session.begin():
                    await storage.set_state(KEY, "one")
                async with session.begin():
                    await storage.set_state(KEY, "two")
                async with session.begin():
                    assert await storage.get_state(KEY) == "two"
            statements = [s.split()[0] for s in counter.in_scope("other")]
        finally:
            current_session.reset(token)
    assert statements == ["SELECT", "INSERT", "SELECT", "UPDATE", "SELECT"]
    assert await storage.get_state(KEY) == "two"
