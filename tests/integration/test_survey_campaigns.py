"""Questionnaire campaigns on a real database: who is invited, pacing, stopping before
delivery, access, and the schedule."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from bot.app.context import Context
from bot.config.orgfile import load_organisation
from bot.services.access import AccessDenied
from bot.services.people import Actor, RoleGrant
from bot.services.surveys import campaigns
from bot.services.surveys.errors import UnitNeeded, UnknownCampaign
from storage.models import (
    AuditEntry,
    Building,
    OrgLevel,
    OrgUnit,
    OutboxMessage,
    OutboxStatus,
    Person,
    PropertyUnit,
    ResidentUnit,
    StaffRole,
    SurveyCampaign,
    SurveyInvitation,
)
from tests.integration.ticket_fixtures import actor, add_resident, setup_org


@pytest.fixture
def org(org_file):
    return load_organisation(org_file)


@pytest.fixture
async def ctx(sessionmaker, clock, org) -> Context:
    async with sessionmaker() as session, session.begin():
        await setup_org(session, org, clock.now())
    return Context(org=org, now=clock.now())


async def bind(session, person: Person, project: str, building: str, unit: str) -> None:
    flat = await session.scalar(
        select(PropertyUnit.id)
        .join(Building, Building.id == PropertyUnit.building_id)
        .join(OrgUnit, OrgUnit.id == Building.project_id)
        .where(OrgUnit.key == project, Building.key == building, PropertyUnit.key == unit)
    )
    session.add(
        ResidentUnit(
            person_id=person.id, property_unit_id=flat, via="code", bound_at=person.created_at
        )
    )
    await session.flush()


async def residents(sessionmaker, ctx: Context) -> dict[str, int]:
    """Sunshine: two residents (one bound twice), one unreachable, one staff member who
    also lives there; plaza: one resident."""
    async with sessionmaker() as session, session.begin():
        ann = await add_resident(session, 7001, "Ann", ctx.now)
        ben = await add_resident(session, 7002, "Ben", ctx.now, language="en")
        gone = await add_resident(session, 7003, "Gone", ctx.now)
        gone.reachable = False
        pat = await add_resident(session, 7004, "Pat", ctx.now)
        staff = await session.scalar(select(Person).where(Person.telegram_id == 5001))
        await bind(session, ann, "sunshine", "1", "101")
        await bind(session, ann, "sunshine", "2", "101")
        await bind(session, ben, "sunshine", "1", "102")
        await bind(session, gone, "sunshine", "1", "201")
        await bind(session, staff, "sunshine", "1", "201")
        await bind(session, pat, "plaza", "A", "S01")
        return {"ann": ann.id, "ben": ben.id, "pat": pat.id}


async def test_residents_bound_to_the_projects_are_invited_once_each(sessionmaker, ctx) -> None:
    people = await residents(sessionmaker, ctx)
    async with sessionmaker() as session, session.begin():
        manager = await actor(session, 5002)
        summary = await campaigns.start_campaign(session, ctx, manager)
    assert (summary.key, summary.invited, summary.unit_name) == ("sunshine-20261102", 2, "阳光花园")
    async with sessionmaker() as session:
        invited = (
            await session.scalars(select(SurveyInvitation).order_by(SurveyInvitation.person_id))
        ).all()
        queued = (await session.scalars(select(OutboxMessage).order_by(OutboxMessage.id))).all()
    assert [i.person_id for i in invited] == [people["ann"], people["ben"]]
    assert {i.kind for i in invited} == {"campaign"} and {i.stage for i in invited} == {"invited"}
    assert [m.chat_id for m in queued] == [7001, 7002]
    assert (
        "满意度调查" in queued[0].payload["text"]
        and "Satisfaction survey" in queued[1].payload["text"]
    )
    # All due at once: the outbox sender paces them (after the conversations' messages).
    assert queued[0].next_attempt_at == queued[1].next_attempt_at == ctx.now
    async with sessionmaker() as session, session.begin():
        again = await campaigns.start_campaign(session, ctx, await actor(session, 5002))
    assert again.key == "sunshine-20261102-2"


async def test_a_region_manager_reaches_every_project_of_the_region(sessionmaker, ctx) -> None:
    await residents(sessionmaker, ctx)
    async with sessionmaker() as session, session.begin():
        summary = await campaigns.start_campaign(
            session, ctx, await actor(session, 5010), unit_key="east"
        )
    assert summary.invited == 3


async def test_only_managers_of_the_unit_start_and_stop(sessionmaker, ctx) -> None:
    await residents(sessionmaker, ctx)
    async with sessionmaker() as session, session.begin():
        with pytest.raises(AccessDenied):
            await campaigns.start_campaign(
                session, ctx, await actor(session, 5002), unit_key="plaza"
            )
        with pytest.raises(AccessDenied):
            await campaigns.start_campaign(
                session, ctx, await actor(session, 5001), unit_key="sunshine"
            )
        units = {u.key: u for u in (await session.scalars(select(OrgUnit))).all()}
        two_projects = Actor(
            telegram_id=1,
            person_id=None,
            chosen_language=None,
            roles=tuple(
                RoleGrant(StaffRole.MANAGER, units[k].id, k, OrgLevel.PROJECT)
                for k in ("sunshine", "plaza")
            ),
        )
        with pytest.raises(UnitNeeded):  # which of the two?
            await campaigns.start_campaign(session, ctx, two_projects)
        summary = await campaigns.start_campaign(session, ctx, await actor(session, 5100))
        assert summary.unit_name == "总部" and summary.invited == 3
        with pytest.raises(AccessDenied):
            await campaigns.stop_campaign(session, ctx, await actor(session, 5002), summary.key)
        with pytest.raises(UnknownCampaign):
            await campaigns.stop_campaign(session, ctx, await actor(session, 5100), "nope")
    async with sessionmaker() as session:
        refusals = (
            await session.scalars(select(AuditEntry.action).where(AuditEntry.outcome == "refused"))
        ).all()
    assert refusals == ["survey.campaign.start", "survey.campaign.start", "survey.campaign.stop"]


async def test_stopping_withdraws_invitations_not_yet_delivered(sessionmaker, ctx) -> None:
    await residents(sessionmaker, ctx)
    async with sessionmaker() as session, session.begin():
        manager = await actor(session, 5002)
        summary = await campaigns.start_campaign(session, ctx, manager)
        # The first one went out already; the second is still waiting in the outbox.
        first = await session.scalar(select(OutboxMessage).where(OutboxMessage.chat_id == 7001))
        first.status = OutboxStatus.SENT
    async with sessionmaker() as session, session.begin():
        stopped = await campaigns.stop_campaign(
            session, ctx, await actor(session, 5002), summary.key
        )
    assert (stopped.stopped, stopped.withdrawn, stopped.invited) == (True, 1, 1)
    async with sessionmaker() as session:
        left = (await session.scalars(select(OutboxMessage.chat_id))).all()
        invited = (await session.scalars(select(SurveyInvitation.person_id))).all()
        ann = await session.scalar(select(Person.id).where(Person.telegram_id == 7001))
    assert left == [7001] and invited == [ann]
    async with sessionmaker() as session, session.begin():  # stopping twice changes nothing
        assert (
            await campaigns.stop_campaign(session, ctx, await actor(session, 5002), summary.key)
        ).invited == 1


async def test_the_schedule_starts_one_campaign_for_all_projects(sessionmaker, clock, org) -> None:
    scheduled = org.model_copy(
        update={"survey": org.survey.model_copy(update={"schedule": "0 10 * * mon"})}
    )
    monday_10 = datetime(2026, 11, 2, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai
    async with sessionmaker() as session, session.begin():
        await setup_org(session, org, clock.now())
    await residents(sessionmaker, Context(org, clock.now()))
    async with sessionmaker() as session, session.begin():
        assert (
            await campaigns.start_scheduled(
                session, Context(scheduled, monday_10 - timedelta(seconds=1))
            )
            is None
        )
        assert (
            await campaigns.start_scheduled(session, Context(org, monday_10)) is None
        )  # no schedule
        first = await campaigns.start_scheduled(
            session, Context(scheduled, monday_10 + timedelta(minutes=1))
        )
        assert first is not None and first.invited == 3 and first.key.startswith("hq-")
        assert (
            await campaigns.start_scheduled(
                session, Context(scheduled, monday_10 + timedelta(minutes=2))
            )
            is None
        )
    async with sessionmaker() as session:
        assert await session.scalar(select(func.count()).select_from(SurveyCampaign)) == 1
        (campaign,) = (await session.scalars(select(SurveyCampaign))).all()
    assert campaign.scheduled_for == monday_10 and campaign.started_by_id is None
