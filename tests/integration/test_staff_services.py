"""Staff desk services on a real database: invitations, group binding, migration, queue."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from sqlalchemy import select

from bot.app.context import Context
from bot.services import group_binding, invites
from bot.services.access import AccessDenied
from bot.services.tickets import lifecycle
from bot.services.tickets import queries as staff_desk
from bot.services.tickets.lifecycle import TicketDraft
from storage.models import (
    OrgUnit,
    OutboxMessage,
    Person,
    StaffInvite,
    StaffMembership,
    StaffRole,
    TicketKind,
)
from tests.integration.ticket_fixtures import actor, add_resident, project_id

SUNSHINE_GROUP, PLAZA_GROUP = -1009000000100, -1009000000200


async def make_invite(sessionmaker, ctx: Context, role: str = "agent") -> str:
    async with sessionmaker() as session, session.begin():
        manager = await actor(session, 5002)
        return (await invites.create_invite(session, ctx.now, manager, role, None)).token


async def open_invite(sessionmaker, ctx: Context, token: str, telegram_id: int) -> str:
    try:
        async with sessionmaker() as session, session.begin():
            joined = await invites.redeem_invite(
                session, ctx, telegram_id, f"新人{telegram_id}", "zh-hans", token
            )
            return joined.unit_key
    except invites.InvalidInvite as invalid:
        return invalid.code


async def test_an_invitation_is_spent_by_exactly_one_of_two_people_opening_it_at_once(
    sessionmaker, ctx
) -> None:
    token = await make_invite(sessionmaker, ctx)
    results = await asyncio.gather(
        open_invite(sessionmaker, ctx, token, 8001), open_invite(sessionmaker, ctx, token, 8002)
    )
    assert sorted(results) == ["invite_used", "sunshine"]
    async with sessionmaker() as session:
        joined = (
            await session.scalars(
                select(Person.telegram_id)
                .join(StaffMembership, StaffMembership.person_id == Person.id)
                .where(Person.telegram_id.in_([8001, 8002]))
            )
        ).all()
    assert len(joined) == 1


async def test_only_a_hash_of_the_token_is_stored_and_it_expires(sessionmaker, ctx) -> None:
    token = await make_invite(sessionmaker, ctx)
    async with sessionmaker() as session:
        stored = (await session.scalars(select(StaffInvite))).one()
    assert token not in stored.token_hash and stored.token_hash == invites.hash_token(token)
    assert stored.expires_at == ctx.now + invites.INVITE_VALIDITY
    late = Context(org=ctx.org, now=ctx.now + invites.INVITE_VALIDITY + timedelta(seconds=1))
    assert await open_invite(sessionmaker, late, token, 8003) == "invite_expired"
    assert await open_invite(sessionmaker, ctx, "made-up-token", 8004) == "invite_unknown"


async def test_an_invitation_never_lowers_a_role_someone_already_has(sessionmaker, ctx) -> None:
    token = await make_invite(sessionmaker, ctx, "agent")
    assert await open_invite(sessionmaker, ctx, token, 5002) == "sunshine"  # the manager
    async with sessionmaker() as session:
        manager = await actor(session, 5002)
    assert [g.role for g in manager.roles] == [StaffRole.MANAGER]


async def test_agents_cannot_make_invitations(sessionmaker, ctx) -> None:
    async with sessionmaker() as session, session.begin():
        agent = await actor(session, 5001)
        with pytest.raises(AccessDenied) as refused:
            await invites.create_invite(session, ctx.now, agent, "agent", "sunshine")
    assert refused.value.code == "not_manager"


async def test_taking_a_group_from_another_unit_needs_a_say_over_both(sessionmaker, ctx) -> None:
    async with sessionmaker() as session, session.begin():
        sunshine_manager = await actor(session, 5002)
        with pytest.raises(AccessDenied) as refused:
            await group_binding.bind_group(
                session, ctx, sunshine_manager, PLAZA_GROUP, None, "sunshine"
            )
        assert refused.value.code == "group_bound_elsewhere"
    async with sessionmaker() as session, session.begin():
        region_manager = await actor(session, 5010)
        with pytest.raises(group_binding.MoveNeedsConfirmation) as asked:  # sunshine has a group
            await group_binding.bind_group(
                session, ctx, region_manager, PLAZA_GROUP, 12, "sunshine"
            )
        assert (asked.value.bound_chat_id, asked.value.replaces) == (SUNSHINE_GROUP, "星河广场")
        binding = await group_binding.confirm_move(
            session,
            ctx,
            region_manager,
            asked_by=5010,
            unit_id=asked.value.unit_id,
            from_chat_id=SUNSHINE_GROUP,
            chat_id=PLAZA_GROUP,
            thread_id=12,
        )
        assert (binding.moved_from, binding.previous_chat_id) == ("plaza", SUNSHINE_GROUP)
    async with sessionmaker() as session:
        units = {u.key: u for u in (await session.scalars(select(OrgUnit))).all()}
    assert (units["sunshine"].group_chat_id, units["sunshine"].group_thread_id) == (
        PLAZA_GROUP,
        12,
    )
    assert units["plaza"].group_chat_id is None


async def test_a_manager_binds_their_own_unit_unless_they_manage_several(sessionmaker, ctx) -> None:
    async with sessionmaker() as session, session.begin():
        region_manager = await actor(session, 5010)
        with pytest.raises(group_binding.MoveNeedsConfirmation) as asked:  # east has a group
            await group_binding.bind_group(session, ctx, region_manager, -77, None, None)
        assert asked.value.unit_name == "华东区域中心"
        with pytest.raises(group_binding.UnknownUnit):
            await group_binding.bind_group(session, ctx, region_manager, -77, None, "moon")
        with pytest.raises(AccessDenied):  # HQ is above the region
            await group_binding.bind_group(session, ctx, region_manager, -77, None, "hq")
        # A second direct role: now they must say which.
        person = await session.scalar(select(Person).where(Person.telegram_id == 5010))
        session.add(
            StaffMembership(
                person_id=person.id,
                org_unit_id=await project_id(session, "plaza"),
                role=StaffRole.MANAGER,
                source="invite",
                active=True,
            )
        )
        await session.flush()
        with pytest.raises(group_binding.ChooseUnit) as choose:
            await group_binding.bind_group(
                session, ctx, await actor(session, 5010), -78, None, None
            )
        assert {o.key for o in choose.value.options} == {"east", "sunshine", "plaza"}


async def test_following_a_migration_twice_posts_each_open_card_once(sessionmaker, ctx) -> None:
    async with sessionmaker() as session, session.begin():
        resident = await add_resident(session, 7001, "张小明", ctx.now)
        draft = TicketDraft(
            project_id=await project_id(session, "sunshine"),
            kind=TicketKind.REPAIR,
            description="漏水",
        )
        ticket = await lifecycle.create_ticket(session, ctx, resident, draft)
        ticket.card_chat_id, ticket.card_message_id = SUNSHINE_GROUP, 5  # as if delivered
    for _ in range(2):
        async with sessionmaker() as session, session.begin():
            await group_binding.follow_migration(session, ctx, SUNSHINE_GROUP, -1009000000999)
    async with sessionmaker() as session:
        cards = (
            await session.scalars(
                select(OutboxMessage).where(OutboxMessage.ref == f"ticket-card:{ticket.id}")
            )
        ).all()
        sunshine = await session.scalar(select(OrgUnit).where(OrgUnit.key == "sunshine"))
    # The first card (queued before, moved along with the group) and one re-post.
    assert [m.chat_id for m in cards] == [-1009000000999, -1009000000999]
    assert sunshine.group_chat_id == -1009000000999


async def test_the_queue_pages_and_only_lists_open_tickets_of_the_members_units(
    sessionmaker, ctx
) -> None:
    async with sessionmaker() as session, session.begin():
        resident = await add_resident(session, 7001, "张小明", ctx.now)
        for key, count in (("sunshine", 10), ("plaza", 2)):
            for i in range(count):
                draft = TicketDraft(
                    project_id=await project_id(session, key),
                    kind=TicketKind.COMPLAINT,
                    description=f"{key} {i}",
                )
                await lifecycle.create_ticket(session, ctx, resident, draft)
    async with sessionmaker() as session:
        agent = await actor(session, 5001)
        first = await staff_desk.queue(session, agent, staff_desk.Where.private(), page=0)
        last = await staff_desk.queue(session, agent, staff_desk.Where.private(), page=99)
        region = await actor(session, 5010)
        everything = await staff_desk.queue(session, region, staff_desk.Where.private())
    assert (first.total, first.pages, len(first.items)) == (10, 2, staff_desk.PAGE_SIZE)
    assert (last.page, len(last.items)) == (1, 10 - staff_desk.PAGE_SIZE)
    assert {i.project_key for i in first.items + last.items} == {"sunshine"}
    assert everything.total == 12
