"""What a resident's commonest presses read, each in as few statements as it can:
My tickets (a page and the total in one), the units waiting for the office's word, and
the hotline /help shows."""

from __future__ import annotations

from sqlalchemy import select

from bot.app.context import Context
from bot.services.intake.emergency import hotline_for_resident
from bot.services.resident_tickets import PAGE_SIZE, my_tickets
from bot.services.unit_binding import pending_requests
from storage.models import (
    BindingRequest,
    BindingStatus,
    Building,
    OrgUnit,
    Person,
    PropertyUnit,
    ResidentUnit,
    Ticket,
    TicketFollower,
    TicketKind,
    TicketStatus,
)
from storage.statements import StatementCounter
from tests.integration.ticket_fixtures import add_resident, project_id


async def _unit(session, project: str, building: str, unit: str) -> PropertyUnit:
    found = await session.scalar(
        select(PropertyUnit)
        .join(Building, PropertyUnit.building_id == Building.id)
        .join(OrgUnit, Building.project_id == OrgUnit.id)
        .where(OrgUnit.key == project, Building.key == building, PropertyUnit.key == unit)
    )
    assert found is not None
    return found


async def _ticket(session, ctx: Context, resident: Person, n: int, **fields) -> Ticket:
    ticket = Ticket(
        number=f"SG-{n:06d}",
        project_id=await project_id(session, "sunshine"),
        seq=n,
        kind=TicketKind.REPAIR,
        resident_id=resident.id,
        description=f"problem {n}",
        status=fields.pop("status", TicketStatus.NEW),
        created_at=ctx.now.replace(minute=n),
        **fields,
    )
    session.add(ticket)
    await session.flush()
    return ticket


async def test_my_tickets_pages_active_first_with_the_total_in_one_statement(
    sessionmaker, ctx: Context
) -> None:
    async with sessionmaker() as session, session.begin():
        alice = await add_resident(session, 7001, "Alice", ctx.now)
        bob = await add_resident(session, 7002, "Bob", ctx.now)
        nobody = await add_resident(session, 7003, "Nobody", ctx.now)
        mine = [await _ticket(session, ctx, alice, n) for n in range(1, 8)]
        mine[6].status = TicketStatus.CLOSED  # the newest, but closed: last
        bobs = await _ticket(session, ctx, bob, 8)
        session.add(TicketFollower(ticket_id=mine[0].id, person_id=bob.id, joined_at=ctx.now))

    async with sessionmaker() as session:
        with StatementCounter(sessionmaker.kw["bind"]) as counter:
            first = await my_tickets(session, alice.id, 0)
        assert len(counter.log) == 1, counter.log
        second = await my_tickets(session, alice.id, 1)
        beyond = await my_tickets(session, alice.id, 9)  # tickets went away meanwhile
        before = await my_tickets(session, alice.id, -2)
        followed = await my_tickets(session, bob.id, 0)
        none = await my_tickets(session, nobody.id, 3)

    assert (first.page, first.pages, first.total) == (0, 2, 7)
    assert [r.number for r in first.rows] == [f"SG-00000{n}" for n in (6, 5, 4, 3, 2)]
    assert len(first.rows) == PAGE_SIZE
    assert [r.number for r in second.rows] == ["SG-000001", "SG-000007"]
    assert [r.status for r in second.rows] == [TicketStatus.NEW, TicketStatus.CLOSED]
    assert (second.page, second.pages, second.total) == (1, 2, 7)
    assert beyond == second
    assert before == first
    assert first.rows[0].description == "problem 6"
    # Bob sees the ticket he joined, not what Alice wrote in it.
    assert [(r.id, r.description) for r in followed.rows] == [
        (bobs.id, "problem 8"),
        (mine[0].id, None),
    ]
    assert (followed.pages, followed.total) == (1, 2)
    assert (none.rows, none.page, none.pages, none.total) == ([], 0, 1, 0)


async def test_pending_units_are_labelled_in_one_statement(sessionmaker, ctx: Context) -> None:
    async with sessionmaker() as session, session.begin():
        alice = await add_resident(session, 7001, "Alice", ctx.now)
        sunshine = await project_id(session, "sunshine")
        plaza = await project_id(session, "plaza")
        asked = [
            (await _unit(session, "plaza", "A", "S02"), plaza, BindingStatus.PENDING),
            (await _unit(session, "sunshine", "1", "101"), sunshine, BindingStatus.APPROVED),
            (await _unit(session, "sunshine", "2", "101"), sunshine, BindingStatus.PENDING),
        ]
        session.add_all(
            BindingRequest(
                person_id=alice.id,
                property_unit_id=unit.id,
                project_id=project,
                status=status,
                requested_at=ctx.now,
            )
            for unit, project, status in asked
        )

    async with sessionmaker() as session:
        with StatementCounter(sessionmaker.kw["bind"]) as counter:
            waiting = await pending_requests(session, alice.id)
    assert len(counter.log) == 1, counter.log
    assert [(u.project_key, u.building_key, u.unit_key) for u in waiting] == [
        ("plaza", "A", "S02"),
        ("sunshine", "2", "101"),
    ]
    assert waiting[1].full == "阳光花园 2号楼 101"


async def test_help_shows_the_hotline_of_the_residents_one_project(
    sessionmaker, ctx: Context
) -> None:
    async with sessionmaker() as session, session.begin():
        people = [await add_resident(session, 7001 + n, f"R{n}", ctx.now) for n in range(4)]
        one_project, other_project, both, unbound = people
        homes = {
            one_project: [("sunshine", "1", "101"), ("sunshine", "2", "101")],
            other_project: [("plaza", "A", "S01")],  # its project has no hotline of its own
            both: [("sunshine", "1", "102"), ("plaza", "A", "S02")],
        }
        for person, units in homes.items():
            for key in units:
                unit = await _unit(session, *key)
                session.add(
                    ResidentUnit(
                        person_id=person.id, property_unit_id=unit.id, via="test", bound_at=ctx.now
                    )
                )

    async with sessionmaker() as session:
        with StatementCounter(sessionmaker.kw["bind"]) as counter:
            project_line = await hotline_for_resident(session, ctx.org, one_project.id)
        assert len(counter.log) == 1, counter.log
        assert project_line == "021-5555-0100"
        for person in (other_project, both, unbound):
            assert await hotline_for_resident(session, ctx.org, person.id) == "400-000-1234"
        assert await hotline_for_resident(session, ctx.org, None) == "400-000-1234"
