"""The sender of an update and their conversation (aiogram's FSM record) are read in one
statement (``people.load_sender``), whoever the sender is and whether or not a
conversation is stored."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.services.context import Context
from bot.services.people import Conversation, load_sender
from storage.models import FsmRecord, OrgUnit, Person, StaffMembership, StaffRole
from storage.statements import StatementCounter


async def _store_conversations(sessionmaker: async_sessionmaker[AsyncSession], ctx: Context):
    async with sessionmaker() as session, session.begin():
        session.add(
            FsmRecord(key="c:5001", state="Filing:what", data={"step": 2}, updated_at=ctx.now)
        )
        session.add(FsmRecord(key="c:9999", state=None, data={"x": [1]}, updated_at=ctx.now))
        # A second role: the sender's rows are one per role, the conversation on each.
        agent = await session.scalar(select(Person.id).where(Person.telegram_id == 5001))
        plaza = await session.scalar(select(OrgUnit.id).where(OrgUnit.key == "plaza"))
        session.add(StaffMembership(person_id=agent, org_unit_id=plaza, role=StaffRole.AGENT))


async def test_a_staff_member_with_two_roles_and_a_conversation(sessionmaker, ctx) -> None:
    await _store_conversations(sessionmaker, ctx)
    counter = StatementCounter(sessionmaker.kw["bind"]).attach()
    try:
        async with sessionmaker() as session:
            person, actor, conversation = await load_sender(session, 5001, "c:5001")
        assert len(counter.log) == 1
    finally:
        counter.detach()
    assert person is not None and person.telegram_id == 5001
    assert sorted(g.org_unit_key for g in actor.roles) == ["plaza", "sunshine"]
    assert conversation == Conversation("Filing:what", {"step": 2})


async def test_a_known_sender_without_a_conversation(sessionmaker, ctx) -> None:
    await _store_conversations(sessionmaker, ctx)
    async with sessionmaker() as session:
        person, actor, conversation = await load_sender(session, 5001, "c:nothing-here")
    assert person is not None and len(actor.roles) == 2
    assert conversation is None


async def test_an_unknown_sender_with_and_without_a_conversation(sessionmaker, ctx) -> None:
    await _store_conversations(sessionmaker, ctx)
    async with sessionmaker() as session:
        person, actor, conversation = await load_sender(session, 9999, "c:9999")
        assert person is None and actor.person_id is None and not actor.is_staff
        assert conversation == Conversation(None, {"x": [1]})
        person, actor, conversation = await load_sender(session, 9998, None)
        assert person is None and actor.telegram_id == 9998 and conversation is None
