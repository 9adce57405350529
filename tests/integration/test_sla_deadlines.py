"""Deadlines follow the ticket through the lifecycle: business hours, pauses, re-opening,
a changed category, and the sweep's bookkeeping on a real database."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.app.context import Context
from bot.config.orgfile import load_organisation
from bot.services.sla.deadlines import recompute_open_tickets
from bot.services.sla.sweep import sweep_due_tickets
from bot.services.tickets import lifecycle
from bot.services.tickets.lifecycle import TicketDraft
from storage.models import OutboxMessage, Person, Ticket, TicketEvent, TicketKind
from tests.conftest import FIXTURES
from tests.integration.ticket_fixtures import actor, add_resident, project_id, setup_org

H = timedelta(hours=1)
MONDAY_9 = datetime(2026, 11, 2, 1, 0, tzinfo=UTC)  # 09:00 in Shanghai
PLAZA_OFFICE = """
[sla.calendars.plaza-office]
projects = ["plaza"]
holidays = "CN"

  [sla.calendars.plaza-office.hours]
  mon = "09:00-18:00"
  tue = "09:00-18:00"
  wed = "09:00-18:00"
  thu = "09:00-18:00"
  fri = "09:00-18:00"
"""


@pytest.fixture
def org_file(tmp_path: Path) -> Path:
    path = tmp_path / "organisation.toml"
    path.write_text((FIXTURES / "organisation.toml").read_text() + PLAZA_OFFICE, encoding="utf-8")
    return path


@pytest.fixture
async def org(sessionmaker, org_file):
    organisation = load_organisation(org_file)
    async with sessionmaker() as session, session.begin():
        await setup_org(session, organisation, MONDAY_9)
    return organisation


def at(org, moment: datetime) -> Context:
    return Context(org=org, now=moment)


async def file(sessionmaker, org, moment: datetime, project: str = "sunshine", **draft) -> Ticket:
    async with sessionmaker() as session, session.begin():
        resident = await session.scalar(select(Person).where(Person.telegram_id == 7001))
        if resident is None:
            resident = await add_resident(session, 7001, "张小明", moment)
        fields = {"kind": TicketKind.COMPLAINT, "description": "噪音"} | draft
        return await lifecycle.create_ticket(
            session,
            at(org, moment),
            resident,
            TicketDraft(project_id=await project_id(session, project), **fields),
        )


async def reload(sessionmaker, ticket_id: int) -> Ticket:
    async with sessionmaker() as session:
        ticket = await session.get(Ticket, ticket_id)
    assert ticket is not None
    return ticket


async def test_a_business_hours_project_counts_office_hours_only(sessionmaker, org) -> None:
    friday_17 = datetime(2026, 11, 6, 9, 0, tzinfo=UTC)
    ticket = await file(sessionmaker, org, friday_17, project="plaza")
    # 24 office hours from Friday 17:00: 1 h Friday, 9 h Monday, 9 h Tuesday, 5 h Wednesday.
    assert ticket.first_response_due_at == datetime(2026, 11, 11, 6, 0, tzinfo=UTC)
    sunshine = await file(sessionmaker, org, friday_17)
    assert sunshine.first_response_due_at == friday_17 + 24 * H  # 24/7


async def test_waiting_on_the_resident_pauses_and_the_answer_resumes(sessionmaker, org) -> None:
    ticket = await file(sessionmaker, org, MONDAY_9)
    async with sessionmaker() as session, session.begin():
        staff = await actor(session, 5001)
        await lifecycle.reply_to_resident(
            session, at(org, MONDAY_9 + H), ticket.id, staff, "几楼？", ask_for_answer=True
        )
    paused = await reload(sessionmaker, ticket.id)
    assert paused.paused_at == MONDAY_9 + H and paused.first_responded_at == MONDAY_9 + H
    assert paused.next_sla_check_at is None  # nothing can fall due while we wait
    async with sessionmaker() as session, session.begin():
        resident = await actor(session, 7001)
        await lifecycle.add_resident_comment(
            session, at(org, MONDAY_9 + 11 * H), ticket.id, resident, "5楼"
        )
    resumed = await reload(sessionmaker, ticket.id)
    assert resumed.paused_at is None and resumed.paused_seconds == 10 * 3600
    assert resumed.resolution_due_at == MONDAY_9 + 58 * H  # 48 h + the 10 h waited
    assert resumed.update_due_at is None  # the test policy sets no update target


async def test_reopening_rearms_the_resolution_clock(sessionmaker, org) -> None:
    ticket = await file(sessionmaker, org, MONDAY_9)
    async with sessionmaker() as session, session.begin():
        staff = await actor(session, 5001)
        await lifecycle.take(session, at(org, MONDAY_9 + H), ticket.id, staff, None)
        await lifecycle.resolve(session, at(org, MONDAY_9 + 2 * H), ticket.id, staff, "修好了")
    assert (await reload(sessionmaker, ticket.id)).next_sla_check_at is None
    async with sessionmaker() as session, session.begin():
        resident = await actor(session, 7001)
        await lifecycle.reopen(session, at(org, MONDAY_9 + 5 * H), ticket.id, resident, "还在吵")
    reopened = await reload(sessionmaker, ticket.id)
    assert reopened.resolution_due_at == MONDAY_9 + 53 * H
    assert reopened.resolved_at is None and reopened.resolution_escalation_level == 0
    assert reopened.next_sla_check_at == MONDAY_9 + 5 * H + 36 * H  # the 75 % warning


async def test_changing_the_category_recomputes_deadlines_from_the_history(
    sessionmaker, org
) -> None:
    ticket = await file(sessionmaker, org, MONDAY_9, kind=TicketKind.REPAIR, category_key="water")
    assert ticket.first_response_due_at == MONDAY_9 + 24 * H
    async with sessionmaker() as session, session.begin():
        staff = await actor(session, 5002)
        await lifecycle.change_classification(
            session,
            at(org, MONDAY_9 + 10 * 60 * timedelta(seconds=1)),
            ticket.id,
            staff,
            urgent=True,
        )
    urgent = await reload(sessionmaker, ticket.id)
    # The urgent water rule (30 min / 4 h) applies from the moment the ticket was filed.
    assert urgent.first_response_due_at == MONDAY_9 + timedelta(minutes=30)
    assert urgent.resolution_due_at == MONDAY_9 + 4 * H
    async with sessionmaker() as session:
        event = await session.scalar(
            select(TicketEvent).where(TicketEvent.kind == "deadlines_changed")
        )
    assert event is not None and event.data["urgent"] == [False, True]
    assert set(event.data["deadlines"]) == {"first_response_due_at", "resolution_due_at"}


async def test_a_sweep_records_history_and_queues_messages_in_one_transaction(
    sessionmaker, org
) -> None:
    ticket = await file(sessionmaker, org, MONDAY_9)
    async with sessionmaker() as session:
        await session.begin()
        result = await sweep_due_tickets(session, at(org, MONDAY_9 + 24 * H))
        assert result.escalations == 1
        await session.rollback()  # a crash before commit: as if the sweep never ran
    assert (await reload(sessionmaker, ticket.id)).response_escalation_level == 0
    async with sessionmaker() as session, session.begin():
        result = await sweep_due_tickets(session, at(org, MONDAY_9 + 24 * H))
    assert result.escalations == 1
    async with sessionmaker() as session:
        events = (
            await session.scalars(select(TicketEvent).where(TicketEvent.kind == "escalated"))
        ).all()
        messages = (
            await session.scalars(select(OutboxMessage).where(OutboxMessage.ref.is_not(None)))
        ).all()
    assert [(e.data["ladder"], e.data["level"], e.data["unit"]) for e in events] == [
        ("response", 1, "sunshine")
    ]
    # One ticket's escalation: its ref names the ticket (it follows it) and the unit.
    assert [m.ref for m in messages if m.ref.startswith("esc")] == [
        f"esct:{ticket.id}:{await _unit_id(sessionmaker, 'sunshine')}"
    ]


async def _unit_id(sessionmaker, key: str) -> int:
    async with sessionmaker() as session:
        return await project_id(session, key)


async def test_after_a_policy_change_open_tickets_are_recomputed_from_history(
    sessionmaker, org, org_file: Path
) -> None:
    open_ticket = await file(sessionmaker, org, MONDAY_9)
    closed = await file(sessionmaker, org, MONDAY_9)
    async with sessionmaker() as session, session.begin():
        staff = await actor(session, 5001)
        await lifecycle.take(session, at(org, MONDAY_9 + H), open_ticket.id, staff, None)
        await lifecycle.cancel_by_staff(session, at(org, MONDAY_9), closed.id, staff, "重复")
    stricter = org_file.read_text().replace(
        'first_response = "24h"\nresolution = "48h"', 'first_response = "4h"\nresolution = "12h"'
    )
    org_file.write_text(stricter, encoding="utf-8")
    new_policy = load_organisation(org_file)
    assert new_policy.sla.resolution == 12 * H
    async with sessionmaker() as session, session.begin():
        after, changed = await recompute_open_tickets(session, new_policy, MONDAY_9 + 2 * H)
    assert (after, changed) == (0, 1)
    recomputed = await reload(sessionmaker, open_ticket.id)
    assert recomputed.first_response_due_at == MONDAY_9 + 4 * H
    assert recomputed.resolution_due_at == MONDAY_9 + 12 * H
    assert recomputed.next_sla_check_at == MONDAY_9 + 9 * H  # 75 % of the new 12 h
    assert (await reload(sessionmaker, closed.id)).resolution_due_at == MONDAY_9 + 48 * H
