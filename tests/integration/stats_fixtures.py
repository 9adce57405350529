"""A small, hand-computed world for the statistics tests (docs/metrics.md works it through).

Clock: ``NOW`` = 2026-11-10 04:00 UTC (12:00 in Shanghai). Period ``7d`` = local days
2026-11-04 … 2026-11-10. ``T0`` = 2026-11-05 02:00 UTC (10:00 local). Deadlines are
24 h (response) and 48 h (resolution) after creation unless a ticket says otherwise.

| ticket | project  | kind      | category | created | responded | resolved | notes            |
|--------|----------|-----------|----------|---------|-----------|----------|------------------|
| S0     | sunshine | repair    | water    | Oct 20  | Oct 20    | Oct 25   | before; rated 5  |
| S1     | sunshine | repair    | water    | T0      | T0+1h     | T0+10h   | 1-101; 5 and 4   |
| S2     | sunshine | complaint | water    | T0+1h   | T0+30h    | T0+60h   | 1-101; reopen; 2 |
| S3     | sunshine | repair    | lift     | T0+2h   | –         | –        | 1-102; new; L1 L2|
| S4     | sunshine | inquiry   | –        | T0+3h   | T0+3.5h   | –        | paused at T0+10h |
| S5     | sunshine | repair    | water    | T0-96h  | T0-95h    | T0+5h    | late; no rating  |
| S6     | sunshine | complaint | noise    | T0+4h   | –         | –        | 1-101; cancelled |
| S7     | sunshine | repair    | water    | T0+100h | –         | –        | 1-101; new       |
| P1     | plaza    | complaint | noise    | T0+5h   | T0+6h     | T0+20h   | A-S01; rated 3   |
| P2     | plaza    | repair    | lift     | T0+6h   | T0+7h     | T0+60h   | A-S01; late; 1   |

S0, S1, S2, S4, S5 are assigned to the sunshine agent (telegram 5001, 王芳); P1, P2 to
a plaza agent (周杰). Surveys after tickets: 6 sent in the period (S1 twice: resident
and follower), 5 answered (not S5). Questionnaire q4: 7 invited, 5 answered NPS 10,
9, 9 (about sunshine) and 7, 3 (about plaza); one more 10 (q3) before the period.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import NamedTuple

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.app.application import Application
from bot.config.orgfile import Organisation
from bot.services.directory import sync_organisation
from storage.models import (
    Building,
    OrgUnit,
    Person,
    PropertyUnit,
    ResidentUnit,
    SurveyCampaign,
    SurveyInvitation,
    SurveyResponse,
    Ticket,
    TicketEvent,
    TicketKind,
    TicketStatus,
)

NOW = datetime(2026, 11, 10, 4, 0, tzinfo=UTC)
T0 = datetime(2026, 11, 5, 2, 0, tzinfo=UTC)


def h(hours: float) -> datetime:
    return T0 + timedelta(hours=hours)


def _at(hours: float | None) -> datetime | None:
    return None if hours is None else h(hours)


class Row(NamedTuple):
    """One ticket of the world; times in hours after T0."""

    name: str
    project: str
    kind: TicketKind
    category: str | None
    status: TicketStatus
    created: float
    responded: float | None
    resolved: float | None
    closed: float | None
    unit: int | None
    assignee: int | None


@dataclass
class World:
    tickets: dict[str, Ticket]
    agent_id: int
    plaza_agent_id: int
    sunshine_id: int
    plaza_id: int


async def _unit(session: AsyncSession, project: str, building: str, unit: str) -> int:
    return (
        await session.scalar(
            select(PropertyUnit.id)
            .join(Building, Building.id == PropertyUnit.building_id)
            .join(OrgUnit, OrgUnit.id == Building.project_id)
            .where(OrgUnit.key == project, Building.key == building, PropertyUnit.key == unit)
        )
    ) or 0


async def _person(session: AsyncSession, telegram_id: int, name: str) -> Person:
    person = await session.scalar(select(Person).where(Person.telegram_id == telegram_id))
    if person is None:
        person = Person(telegram_id=telegram_id, full_name=name, created_at=NOW, reachable=True)
        session.add(person)
        await session.flush()
    return person


async def build_world_in(app: Application) -> World:
    """The world written into a running application's database."""
    assert app.sessionmaker is not None and app.organisation is not None
    async with app.sessionmaker() as session, session.begin():
        return await build_world(session, app.organisation)


async def build_world(session: AsyncSession, org: Organisation) -> World:
    await sync_organisation(session, org, NOW - timedelta(days=60))
    units = {
        key: (await session.scalar(select(OrgUnit.id).where(OrgUnit.key == key))) or 0
        for key in ("sunshine", "plaza")
    }
    agent = await _person(session, 5001, "王芳")
    plaza_agent = await _person(session, 6001, "周杰")
    resident = await _person(session, 7001, "张小明")
    u101 = await _unit(session, "sunshine", "1", "101")
    u102 = await _unit(session, "sunshine", "1", "102")
    s01 = await _unit(session, "plaza", "A", "S01")
    a, pa = agent.id, plaza_agent.id
    r, c, i = TicketKind.REPAIR, TicketKind.COMPLAINT, TicketKind.INQUIRY
    closed, resolved, new = TicketStatus.CLOSED, TicketStatus.RESOLVED, TicketStatus.NEW
    waiting, cancelled = TicketStatus.WAITING_ON_RESIDENT, TicketStatus.CANCELLED
    oct20 = datetime(2026, 10, 20, 2, 0, tzinfo=UTC)
    oct = (oct20 - T0) / timedelta(hours=1)  # Oct 20 in hours after T0
    # The table of the module docstring, times in hours after T0.
    rows = [
        Row("S0", "sunshine", r, "water", closed, oct, oct + 1, oct + 120, oct + 144, u101, a),
        Row("S1", "sunshine", r, "water", resolved, 0, 1, 10, None, u101, a),
        Row("S2", "sunshine", c, "water", closed, 1, 30, 60, 70, u101, a),
        Row("S3", "sunshine", r, "lift", new, 2, None, None, None, u102, None),
        Row("S4", "sunshine", i, None, waiting, 3, 3.5, None, None, None, a),
        Row("S5", "sunshine", r, "water", resolved, -96, -95, 5, None, u101, a),
        Row("S6", "sunshine", c, "noise", cancelled, 4, None, None, 5, u101, None),
        Row("S7", "sunshine", r, "water", new, 100, None, None, None, u101, None),
        Row("P1", "plaza", c, "noise", closed, 5, 6, 20, 21, s01, pa),
        Row("P2", "plaza", r, "lift", resolved, 6, 7, 60, None, s01, pa),
    ]
    seq = {"sunshine": 0, "plaza": 0}
    tickets: dict[str, Ticket] = {}
    for row in rows:
        seq[row.project] += 1
        prefix = "SG" if row.project == "sunshine" else "XH"
        created = h(row.created)
        tickets[row.name] = Ticket(
            number=f"{prefix}-{seq[row.project]:06d}",
            project_id=units[row.project],
            seq=seq[row.project],
            kind=row.kind,
            category_key=row.category,
            urgent=False,
            status=row.status,
            resident_id=resident.id,
            property_unit_id=row.unit,
            description=row.name,
            assignee_id=row.assignee,
            affected_count=1,
            reopen_count=0,
            created_at=created,
            first_response_due_at=created + timedelta(hours=24),
            resolution_due_at=created + timedelta(hours=48),
            first_responded_at=_at(row.responded),
            resolved_at=_at(row.resolved),
            closed_at=_at(row.closed),
            paused_at=None,
            paused_seconds=0,
            version=1,
        )
    tickets["S2"].reopen_count = 1
    tickets["S4"].paused_at = h(10)  # waiting on the resident since then
    session.add_all(tickets.values())
    await session.flush()

    def escalated(name: str, at: datetime, ladder: str, level: int) -> TicketEvent:
        return TicketEvent(
            ticket_id=tickets[name].id,
            at=at,
            kind="escalated",
            internal=True,
            data={"ladder": ladder, "level": level},
        )

    session.add_all(
        [
            escalated("S3", h(26), "response", 1),
            escalated("S3", h(30), "response", 2),
            escalated("S2", h(25), "response", 1),
            escalated("S2", h(49), "resolution", 1),
            escalated("S5", h(-40), "resolution", 1),  # before the period
            TicketEvent(ticket_id=tickets["S1"].id, at=h(0), kind="created", internal=False),
        ]
    )

    follower = await _person(session, 7002, "李四")
    plaza_resident = await _person(session, 7003, "王五")
    neighbour = await _person(session, 7004, "赵六")
    silent_neighbour = await _person(session, 7005, "孙七")
    shopkeeper = await _person(session, 7006, "周八")
    silent_shopkeeper = await _person(session, 7007, "吴九")

    def answer(
        question: str,
        score: int | None,
        at: datetime,
        *,
        ticket_name: str | None = None,
        person: Person = resident,
        text: str | None = None,
        campaign: str | None = None,
    ) -> SurveyResponse:
        return SurveyResponse(
            ticket_id=tickets[ticket_name].id if ticket_name else None,
            campaign_key=campaign,
            person_id=person.id,
            question_key=question,
            score=score,
            text=text,
            answered_at=at,
        )

    session.add_all(
        [
            answer("rating", 5, oct20 + timedelta(days=6), ticket_name="S0"),
            answer("rating", 5, h(11), ticket_name="S1"),
            answer("rating", 4, h(12), ticket_name="S1", person=follower),
            answer("rating", 2, h(71), ticket_name="S2"),
            answer("reason", None, h(71), ticket_name="S2", text="slow"),
            answer("comment", None, h(71), ticket_name="S2", text="too slow <b>really</b>"),
            answer("rating", 3, h(22), ticket_name="P1", person=plaza_resident),
            answer("rating", 1, h(61), ticket_name="P2", person=plaza_resident),
            answer(
                "comment", None, h(61), ticket_name="P2", person=plaza_resident, text="still broken"
            ),
            answer("nps", 10, h(30), campaign="q4"),
            answer("nps", 9, h(30), campaign="q4", person=follower),
            answer("nps", 9, h(31), campaign="q4", person=neighbour),
            answer("nps", 7, h(32), campaign="q4", person=shopkeeper),
            answer("nps", 3, h(33), campaign="q4", person=plaza_resident),
            answer("nps", 10, h(-200), campaign="q3"),
            # The questionnaire's dimensions and suggestions (module docstring).
            answer("overall", 4, h(30), campaign="q4"),
            answer("cleanliness", 5, h(30), campaign="q4"),
            answer("security", 3, h(30), campaign="q4"),
            answer("suggestion", None, h(30), campaign="q4", text="More benches in the garden"),
            answer("overall", 5, h(30), campaign="q4", person=follower),
            answer("cleanliness", 4, h(30), campaign="q4", person=follower),
            answer("cleanliness", 2, h(31), campaign="q4", person=neighbour),
            answer("overall", 3, h(32), campaign="q4", person=shopkeeper),
            answer("security", 4, h(32), campaign="q4", person=shopkeeper),
            answer(
                "suggestion",
                None,
                h(32),
                campaign="q4",
                person=shopkeeper,
                text="Longer opening hours for the car park",
            ),
            answer("cleanliness", 1, h(33), campaign="q4", person=plaza_resident),
            answer("cleanliness", 5, h(-200), campaign="q3"),
            answer("suggestion", None, h(-200), campaign="q3", text="Before the period"),
        ]
    )
    hq = (await session.scalar(select(OrgUnit.id).where(OrgUnit.key == "hq"))) or 0

    def asked(key: str, kind: str, zh: str, en: str) -> dict[str, object]:
        return {"key": key, "kind": kind, "text": {"zh": zh, "en": en}}

    q4_questions = [
        asked("overall", "rating", "总体满意吗？", "Overall satisfied?"),
        asked("cleanliness", "rating", "清洁满意吗？", "Clean enough?"),
        asked("security", "rating", "安全满意吗？", "Safe enough?"),
        asked("nps", "nps", "推荐吗？", "Recommend us?"),
        asked("suggestion", "text", "建议？", "Suggestions?"),
    ]
    session.add_all(
        [
            SurveyCampaign(
                key=key,
                org_unit_id=hq,
                project_ids=[units["sunshine"], units["plaza"]],
                questions=questions,
                started_at=started,
                invited_count=invited,
                reminder_due_at=started + timedelta(days=3),
                stopped_at=stopped,
            )
            for key, questions, started, stopped, invited in (
                ("q3", q4_questions[1:], h(-201), h(-150), 1),
                ("q4", q4_questions, h(29), None, 7),
            )
        ]
    )
    session.add_all(
        [
            ResidentUnit(person_id=resident.id, property_unit_id=u101, via="code", bound_at=NOW),
            ResidentUnit(
                person_id=plaza_resident.id, property_unit_id=s01, via="code", bound_at=NOW
            ),
        ]
    )

    def invited(
        person: Person,
        project: str,
        sent: datetime,
        answered: datetime | None = None,
        *,
        ticket_name: str | None = None,
        campaign: str | None = None,
    ) -> SurveyInvitation:
        return SurveyInvitation(
            kind="ticket" if ticket_name else "campaign",
            ticket_id=tickets[ticket_name].id if ticket_name else None,
            campaign_key=campaign,
            person_id=person.id,
            project_id=units[project],
            sent_at=sent,
            answered_at=answered,
            stage="done" if answered else "asked",
            position=0,
            updated_at=answered or sent,
        )

    sun, plaza = "sunshine", "plaza"
    session.add_all(
        [
            # After tickets: sent at each resolution; in the period 6 sent, 5 answered.
            invited(
                resident,
                sun,
                oct20 + timedelta(days=5),
                oct20 + timedelta(days=6),
                ticket_name="S0",
            ),
            invited(resident, sun, h(10), h(11), ticket_name="S1"),
            invited(follower, sun, h(10), h(12), ticket_name="S1"),
            invited(resident, sun, h(60), h(71), ticket_name="S2"),
            invited(resident, sun, h(5), ticket_name="S5"),
            invited(plaza_resident, plaza, h(20), h(22), ticket_name="P1"),
            invited(plaza_resident, plaza, h(60), h(61), ticket_name="P2"),
            # Questionnaire q4: 7 asked (4 about sunshine, 3 about plaza), 5 answered.
            invited(resident, sun, h(29), h(30), campaign="q4"),
            invited(follower, sun, h(29), h(30), campaign="q4"),
            invited(neighbour, sun, h(29), h(31), campaign="q4"),
            invited(silent_neighbour, sun, h(29), campaign="q4"),
            invited(shopkeeper, plaza, h(29), h(32), campaign="q4"),
            invited(plaza_resident, plaza, h(29), h(33), campaign="q4"),
            invited(silent_shopkeeper, plaza, h(29), campaign="q4"),
            invited(resident, sun, h(-201), h(-200), campaign="q3"),
        ]
    )
    await session.flush()
    return World(tickets, agent.id, plaza_agent.id, units["sunshine"], units["plaza"])
