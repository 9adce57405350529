"""A staff member's account is not erased by the self-service erasure (their
administrator removes them); a former staff member's is."""

from __future__ import annotations

import pytest
from sqlalchemy import select, update

from bot.services.people import load_actor
from bot.services.privacy.erasure import CannotErase, erase_person
from storage.models import Person, StaffMembership


async def test_staff_are_refused_and_former_staff_erased(sessionmaker, ctx) -> None:
    async with sessionmaker() as session, session.begin():
        person, actor = await load_actor(session, 5001)  # as the handler has them
        assert person is not None and actor.is_staff
        with pytest.raises(CannotErase):
            await erase_person(session, ctx, person, reason="resident request")

    async with sessionmaker() as session, session.begin():
        await session.execute(update(StaffMembership).values(active=False))
    async with sessionmaker() as session, session.begin():
        person, actor = await load_actor(session, 5001)
        assert person is not None and not actor.is_staff
        await erase_person(session, ctx, person, reason="resident request")
    async with sessionmaker() as session:
        erased = await session.scalar(select(Person).where(Person.id == person.id))
        assert erased is not None and erased.erased_at is not None
