"""Fixtures: a started fake server and an aiogram Bot whose session points at it."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from aiogram import Bot
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer

from fake_telegram import FakeTelegramServer, FakeUser


def make_bot(server: FakeTelegramServer, timeout: float = 10.0) -> Bot:
    """An unmodified aiogram Bot talking to ``server``."""
    session = AiohttpSession(api=TelegramAPIServer.from_base(server.base_url), timeout=timeout)
    return Bot(server.token, session=session)


@pytest.fixture
async def server() -> AsyncIterator[FakeTelegramServer]:
    async with FakeTelegramServer() as fake:
        yield fake
        assert fake.internal_errors == [], fake.internal_errors[0]


@pytest.fixture
async def bot(server: FakeTelegramServer) -> AsyncIterator[Bot]:
    instance = make_bot(server)
    yield instance
    await instance.session.close()


@pytest.fixture
def alice(server: FakeTelegramServer) -> FakeUser:
    return server.user(1001, "Alice", username="alice")
