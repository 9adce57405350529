"""The unit a staff group serves is read once per transaction, however many layers ask
(the group's language, where a press came from), and read again once it may have
changed: a group bound, migrated to a supergroup, or a new transaction."""

from __future__ import annotations

from sqlalchemy import select

from bot.app.context import Context
from bot.services import access, bound_groups
from bot.services.delivery_outcomes import group_migrated
from storage.models import OrgUnit
from storage.statements import StatementCounter

SUPERGROUP = -1009000000999


async def _sunshine(sessionmaker) -> OrgUnit:
    async with sessionmaker() as session:
        unit = await session.scalar(select(OrgUnit).where(OrgUnit.key == "sunshine"))
    assert unit is not None and unit.group_chat_id is not None
    return unit


async def test_language_and_place_of_a_group_press_take_one_statement(
    sessionmaker, engine, ctx: Context
) -> None:
    sunshine = await _sunshine(sessionmaker)
    with StatementCounter(engine) as counter:
        async with sessionmaker() as session, session.begin():
            locale = await ctx.locale_of_group(session, sunshine.group_chat_id)
            place = await access.where(session, sunshine.group_chat_id, "supergroup")
            again = await access.where(session, sunshine.group_chat_id, "supergroup")
        assert sum(counter.statements.values()) == 1
    assert locale == ctx.group_locale_of("sunshine")
    assert place == again and place.in_group and place.group_unit_id == sunshine.id


async def test_an_unbound_group_is_remembered_as_unbound(
    sessionmaker, engine, ctx: Context
) -> None:
    with StatementCounter(engine) as counter:
        async with sessionmaker() as session, session.begin():
            assert await bound_groups.unit_of_group(session, -100123) is None
            place = await access.where(session, -100123, "group")
        assert sum(counter.statements.values()) == 1
    assert place.in_group and place.group_unit_id is None


async def test_a_migrated_group_is_found_under_its_new_id_at_once(
    sessionmaker, ctx: Context
) -> None:
    sunshine = await _sunshine(sessionmaker)
    async with sessionmaker() as session, session.begin():
        assert (await access.where(session, sunshine.group_chat_id, "group")).group_unit_id
        assert await bound_groups.unit_of_group(session, SUPERGROUP) is None
        await group_migrated(session, sunshine.group_chat_id, SUPERGROUP)
        moved = await access.where(session, SUPERGROUP, "supergroup")
        left = await access.where(session, sunshine.group_chat_id, "group")
    assert moved.group_unit_id == sunshine.id
    assert left.group_unit_id is None


async def test_the_next_transaction_reads_again(sessionmaker, engine, ctx: Context) -> None:
    sunshine = await _sunshine(sessionmaker)
    async with sessionmaker() as session:
        with StatementCounter(engine) as counter:
            async with session.begin():
                await access.where(session, sunshine.group_chat_id, "supergroup")
            async with session.begin():
                await access.where(session, sunshine.group_chat_id, "supergroup")
            reads = [s for s in counter.log if s[1].startswith("SELECT")]
    assert len(reads) == 2
