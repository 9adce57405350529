"""Ticket numbers: one statement takes each, and writers at once never share one."""

from __future__ import annotations

import asyncio

import pytest

from bot.app.context import Context
from bot.services.tickets.numbering import allocate_number
from storage.statements import StatementCounter
from tests.integration.ticket_fixtures import project_id


async def test_numbers_follow_on_in_one_statement_each(sessionmaker, ctx: Context) -> None:
    async with sessionmaker() as session, session.begin():
        sunshine = await project_id(session, "sunshine")
        plaza = await project_id(session, "plaza")
        with StatementCounter(sessionmaker.kw["bind"]) as counter:
            first = await allocate_number(session, sunshine)
        assert len(counter.log) == 1, counter.log
        second = await allocate_number(session, sunshine)
        other = await allocate_number(session, plaza)
    assert (first, second, other) == ((1, "SG-000001"), (2, "SG-000002"), (1, "XH-000001"))


async def test_a_unit_without_a_ticket_prefix_takes_no_number(sessionmaker, ctx: Context) -> None:
    async with sessionmaker() as session, session.begin():
        region = await project_id(session, "east")  # a regional centre: no tickets
        with pytest.raises(ValueError, match="no ticket prefix"):
            await allocate_number(session, region)
        with pytest.raises(ValueError):
            await allocate_number(session, 987654)  # no such unit


async def test_writers_at_once_never_share_a_number(sessionmaker, ctx: Context) -> None:
    async with sessionmaker() as session:
        sunshine = await project_id(session, "sunshine")

    async def take() -> str:
        async with sessionmaker() as session, session.begin():
            _, number = await allocate_number(session, sunshine)
            await asyncio.sleep(0.01)  # hold the row a moment: the others queue behind it
            return number

    numbers = await asyncio.gather(*(take() for _ in range(8)))
    assert sorted(numbers) == [f"SG-{n:06d}" for n in range(1, 9)]
