"""The periodic satisfaction questionnaire (appendix B), sent as campaigns.

A manager starts a campaign for a project, a region or everything they manage
(``/survey start [key]``), or the organisation file's ``[survey] schedule``
starts one for all projects. Every resident bound to a unit of the target
projects gets an invitation through the outbox; the outbox sender sends them as fast
as Telegram allows, after the messages of the conversations going on meanwhile (and as
paid broadcasts when the operator opted in). Residents answer one question at a time, may pause
and resume (``/survey`` or the Resume button), are reminded once, and answer a
campaign once. Each answer is stored at once, so partial answers are kept.
Stopping a campaign withdraws the invitations not yet delivered.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from apscheduler.triggers.cron import CronTrigger
from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.services import access, audit
from bot.services.context import Context
from bot.services.people import Actor
from bot.services.resident_units import reachable_residents
from bot.services.surveys.errors import (
    AlreadyCompleted,
    NoOpenSurvey,
    NoProjects,
    NotYourSurvey,
    StaleSurvey,
    SurveyEnded,
    UnitNeeded,
    UnknownCampaign,
    UnknownUnit,
)
from bot.services.surveys.notices import CampaignReminder, CampaignStarted, Invitee
from storage.db import claim
from storage.models import (
    Building,
    InvitationKind,
    InvitationStage,
    OrgLevel,
    OrgUnit,
    OutboxMessage,
    OutboxStatus,
    Person,
    StaffRole,
    SurveyCampaign,
    SurveyInvitation,
    SurveyResponse,
)

# A scheduled run missed by more than this (the bot was down) is skipped, not sent late.
SCHEDULE_GRACE = timedelta(hours=1)
ID_CHUNK = 1000
Stage = InvitationStage
SCORE_RANGES = {"rating": (1, 5), "nps": (0, 10)}


@dataclass(frozen=True)
class Question:
    key: str
    kind: str  # rating | nps | text
    text: dict[str, str]  # {"zh": ..., "en": ...}

    def text_in(self, locale: str) -> str:
        return self.text["zh" if locale.startswith("zh") else "en"]


@dataclass(frozen=True)
class QuestionPrompt:
    invitation_id: int
    position: int
    total: int
    question: Question


@dataclass(frozen=True)
class CampaignFinished:
    invitation_id: int


@dataclass(frozen=True)
class CampaignSummary:
    key: str
    unit_key: str
    unit_name: str
    started_at: datetime
    stopped: bool
    invited: int
    answered: int
    completed: int
    withdrawn: int = 0  # invitations taken back by a stop before delivery


def campaign_ref(key: str) -> str:
    return f"survey-campaign:{key}"


def invite_key(key: str, person_id: int) -> str:
    """The outbox dedup key of an invitation: stopping a campaign withdraws by it."""
    return f"survey-invite:{key}:{person_id}"


def _questions(campaign: SurveyCampaign) -> list[Question]:
    return [Question(q["key"], q["kind"], q["text"]) for q in campaign.questions]


# ------------------------------------------------------------------ audience


async def residents_of(
    session: AsyncSession, project_ids: list[int]
) -> list[tuple[int, int, str | None, str | None, int]]:
    """Residents bound to a unit of the projects (not staff, reachable):
    ``(person_id, telegram_id, language, telegram_language, project_id)``."""
    statement = reachable_residents(project_ids, func.min(Building.project_id))
    rows = (await session.execute(statement)).all()
    return [
        (person, telegram_id or 0, lang, tg_lang, project)
        for person, telegram_id, lang, tg_lang, project in rows
    ]


# ------------------------------------------------------------------ managers


async def _target_unit(
    session: AsyncSession, actor: Actor | None, unit_key: str | None, chat_id: int | None
) -> OrgUnit:
    if unit_key:
        unit = await session.scalar(
            select(OrgUnit).where(OrgUnit.key == unit_key.strip().lower(), OrgUnit.active.is_(True))
        )
        if unit is None:
            raise UnknownUnit
        return unit
    if chat_id is not None and chat_id < 0:
        unit = await session.scalar(
            select(OrgUnit).where(OrgUnit.group_chat_id == chat_id, OrgUnit.active.is_(True))
        )
        if unit is not None:
            return unit
    if actor is None:
        hq = await session.scalar(select(OrgUnit).where(OrgUnit.level == OrgLevel.HQ))
        if hq is None:
            raise NoProjects
        return hq
    managed = {g.org_unit_id for g in actor.roles if g.role in (StaffRole.MANAGER, StaffRole.ADMIN)}
    if len(managed) != 1:
        raise UnitNeeded if managed else access.SurveysForManagers
    unit = await session.get(OrgUnit, managed.pop())
    assert unit is not None
    return unit


async def _require_manager(
    session: AsyncSession, ctx: Context, actor: Actor, unit_id: int, action: str
) -> None:
    if not await access.may_manage(session, actor, unit_id):
        await audit.refused(session, ctx.now, actor, action, "not_manager", org_unit_id=unit_id)
        raise access.SurveysForManagers


async def _project_ids(session: AsyncSession, unit: OrgUnit) -> list[int]:
    below = await access.units_below(session, {unit.id})
    rows = await session.scalars(
        select(OrgUnit.id).where(
            OrgUnit.id.in_(below), OrgUnit.level == OrgLevel.PROJECT, OrgUnit.active.is_(True)
        )
    )
    return sorted(rows.all())


async def _new_key(session: AsyncSession, ctx: Context, unit: OrgUnit) -> str:
    base = f"{unit.key}-{ctx.now.astimezone(ctx.org.zone()):%Y%m%d}"
    taken = set(
        (
            await session.scalars(
                select(SurveyCampaign.key).where(SurveyCampaign.key.like(f"{base}%"))
            )
        ).all()
    )
    key, n = base, 1
    while key in taken:
        n += 1
        key = f"{base}-{n}"
    return key


async def start_campaign(
    session: AsyncSession,
    ctx: Context,
    actor: Actor | None,
    *,
    unit_key: str | None = None,
    chat_id: int | None = None,
    scheduled_for: datetime | None = None,
) -> CampaignSummary:
    """Start a campaign (``actor`` None: the schedule) and queue every invitation."""
    unit = await _target_unit(session, actor, unit_key, chat_id)
    if actor is not None:
        await _require_manager(session, ctx, actor, unit.id, "survey.campaign.start")
    project_ids = await _project_ids(session, unit)
    if not project_ids:
        raise NoProjects
    questions = [q.model_dump() for q in ctx.org.survey.questions]
    campaign = SurveyCampaign(
        key=await _new_key(session, ctx, unit),
        org_unit_id=unit.id,
        project_ids=project_ids,
        questions=questions,
        started_at=ctx.now,
        started_by_id=actor.person_id if actor else None,
        scheduled_for=scheduled_for,
        invited_count=0,
        reminder_due_at=ctx.now + ctx.org.survey.campaign_reminder_after,
    )
    session.add(campaign)
    await session.flush()
    residents = await residents_of(session, project_ids)
    if residents:
        await session.execute(
            insert(SurveyInvitation),
            [
                {
                    "kind": InvitationKind.CAMPAIGN.value,
                    "campaign_key": campaign.key,
                    "person_id": person_id,
                    "project_id": project_id,
                    "sent_at": ctx.now,
                    "stage": Stage.INVITED.value,
                    "position": 0,
                    "updated_at": ctx.now,
                }
                for person_id, _, _, _, project_id in residents
            ],
        )
    invitation_ids = {
        person_id: invitation_id
        for person_id, invitation_id in await session.execute(
            select(SurveyInvitation.person_id, SurveyInvitation.id).where(
                SurveyInvitation.campaign_key == campaign.key
            )
        )
    }
    invitees = tuple(
        Invitee(invitation_ids[person_id], person_id, telegram_id, language, tg_language, project)
        for person_id, telegram_id, language, tg_language, project in residents
    )
    await ctx.announce(session, CampaignStarted(campaign.key, len(questions), invitees))
    campaign.invited_count = len(invitees)
    await audit.record(
        session,
        ctx.now,
        actor,
        "survey.campaign.start",
        org_unit_id=unit.id,
        data={"campaign": campaign.key, "invited": len(invitees), "scheduled": bool(scheduled_for)},
    )
    return await _summary(session, campaign, unit)


async def _campaign(session: AsyncSession, key: str, *, lock: bool = False) -> SurveyCampaign:
    statement = select(SurveyCampaign).where(SurveyCampaign.key == key.strip().lower())
    if lock:
        statement = statement.with_for_update()
    campaign = await session.scalar(statement)
    if campaign is None:
        raise UnknownCampaign
    return campaign


async def _summary(
    session: AsyncSession,
    campaign: SurveyCampaign,
    unit: OrgUnit | None = None,
    withdrawn: int = 0,
) -> CampaignSummary:
    row = (
        await session.execute(
            select(
                func.count(),
                func.count(SurveyInvitation.answered_at),
                func.count(SurveyInvitation.completed_at),
            ).where(SurveyInvitation.campaign_key == campaign.key)
        )
    ).one()
    if unit is None:
        unit = await session.get(OrgUnit, campaign.org_unit_id)
    return CampaignSummary(
        key=campaign.key,
        unit_key=unit.key if unit else "",
        unit_name=unit.name if unit else "",
        started_at=campaign.started_at,
        stopped=campaign.stopped_at is not None,
        invited=row[0],
        answered=row[1],
        completed=row[2],
        withdrawn=withdrawn,
    )


async def stop_campaign(
    session: AsyncSession, ctx: Context, actor: Actor, key: str
) -> CampaignSummary:
    """Stop answering; invitations still waiting in the outbox are withdrawn."""
    campaign = await _campaign(session, key, lock=True)
    await _require_manager(session, ctx, actor, campaign.org_unit_id, "survey.campaign.stop")
    if campaign.stopped_at is not None:
        return await _summary(session, campaign)
    campaign.stopped_at = ctx.now
    campaign.stopped_by_id = actor.person_id
    unsent = (
        await session.execute(
            select(OutboxMessage.id, OutboxMessage.dedup_key).where(
                OutboxMessage.ref == campaign_ref(campaign.key),
                OutboxMessage.status == OutboxStatus.PENDING,
                OutboxMessage.locked_by.is_(None),
            )
        )
    ).all()
    prefix = invite_key(campaign.key, 0).removesuffix("0")
    never_asked = [int(k.removeprefix(prefix)) for _, k in unsent if k and k.startswith(prefix)]
    for start in range(0, len(unsent), ID_CHUNK):
        chunk = [message_id for message_id, _ in unsent[start : start + ID_CHUNK]]
        await session.execute(delete(OutboxMessage).where(OutboxMessage.id.in_(chunk)))
    for start in range(0, len(never_asked), ID_CHUNK):
        await session.execute(
            delete(SurveyInvitation).where(
                SurveyInvitation.campaign_key == campaign.key,
                SurveyInvitation.person_id.in_(never_asked[start : start + ID_CHUNK]),
            )
        )
    await audit.record(
        session,
        ctx.now,
        actor,
        "survey.campaign.stop",
        org_unit_id=campaign.org_unit_id,
        data={"campaign": campaign.key, "withdrawn": len(never_asked)},
    )
    return await _summary(session, campaign, withdrawn=len(never_asked))


async def list_campaigns(
    session: AsyncSession, actor: Actor, limit: int = 10
) -> list[CampaignSummary]:
    """The latest campaigns of the units the manager may manage."""
    managed = {g.org_unit_id for g in actor.roles if g.role in (StaffRole.MANAGER, StaffRole.ADMIN)}
    units = await access.units_below(session, managed) if managed else set()
    campaigns = (
        await session.scalars(
            select(SurveyCampaign)
            .where(SurveyCampaign.org_unit_id.in_(units))
            .order_by(SurveyCampaign.started_at.desc(), SurveyCampaign.id.desc())
            .limit(limit)
        )
    ).all()
    return [await _summary(session, campaign) for campaign in campaigns]


# ------------------------------------------------------------------ residents


async def _own(
    session: AsyncSession, actor: Actor, invitation_id: int
) -> tuple[SurveyInvitation, SurveyCampaign]:
    invitation = await session.scalar(
        select(SurveyInvitation)
        .where(SurveyInvitation.id == invitation_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    if invitation is None or invitation.kind != InvitationKind.CAMPAIGN:
        raise StaleSurvey
    if actor.person_id is None or invitation.person_id != actor.person_id:
        raise NotYourSurvey
    campaign = await _campaign(session, invitation.campaign_key or "")
    if campaign.stopped_at is not None:
        raise SurveyEnded
    if invitation.completed_at is not None:
        raise AlreadyCompleted
    return invitation, campaign


def _prompt(invitation: SurveyInvitation, campaign: SurveyCampaign) -> QuestionPrompt:
    questions = _questions(campaign)
    return QuestionPrompt(
        invitation.id, invitation.position, len(questions), questions[invitation.position]
    )


async def open_survey(
    session: AsyncSession, ctx: Context, actor: Actor, invitation_id: int | None = None
) -> QuestionPrompt:
    """The question to answer now: from the Start/Resume button, or ``/survey``."""
    if invitation_id is None:
        invitation_id = await session.scalar(
            select(SurveyInvitation.id)
            .join(SurveyCampaign, SurveyCampaign.key == SurveyInvitation.campaign_key)
            .where(
                SurveyInvitation.kind == InvitationKind.CAMPAIGN,
                SurveyInvitation.person_id == actor.person_id,
                SurveyInvitation.completed_at.is_(None),
                SurveyCampaign.stopped_at.is_(None),
            )
            .order_by(SurveyCampaign.started_at.desc(), SurveyInvitation.id.desc())
            .limit(1)
        )
        if invitation_id is None or actor.person_id is None:
            raise NoOpenSurvey
    invitation, campaign = await _own(session, actor, invitation_id)
    invitation.updated_at = ctx.now
    return _prompt(invitation, campaign)


async def answer(
    session: AsyncSession,
    ctx: Context,
    actor: Actor,
    invitation_id: int,
    position: int,
    *,
    score: int | None = None,
    text: str | None = None,
) -> QuestionPrompt | CampaignFinished:
    """Record the answer to the question at ``position`` (a button from an earlier
    question, or a second press, raises ``StaleSurvey``)."""
    invitation, campaign = await _own(session, actor, invitation_id)
    if position != invitation.position:
        raise StaleSurvey
    question = _questions(campaign)[position]
    if question.kind == "text":
        if score is not None or not (text and text.strip()):
            raise StaleSurvey
        value: dict[str, Any] = {"text": text.strip()}
    else:
        low, high = SCORE_RANGES[question.kind]
        if score is None or not low <= score <= high:
            raise StaleSurvey
        value = {"score": score}
    session.add(
        SurveyResponse(
            campaign_key=campaign.key,
            person_id=invitation.person_id,
            question_key=question.key,
            answered_at=ctx.now,
            **value,
        )
    )
    invitation.answered_at = invitation.answered_at or ctx.now
    return await _advance(session, ctx, invitation, campaign)


async def skip(
    session: AsyncSession, ctx: Context, actor: Actor, invitation_id: int, position: int
) -> QuestionPrompt | CampaignFinished:
    """Leave a free-text question unanswered."""
    invitation, campaign = await _own(session, actor, invitation_id)
    if position != invitation.position or _questions(campaign)[position].kind != "text":
        raise StaleSurvey
    return await _advance(session, ctx, invitation, campaign)


async def _advance(
    session: AsyncSession, ctx: Context, invitation: SurveyInvitation, campaign: SurveyCampaign
) -> QuestionPrompt | CampaignFinished:
    invitation.position += 1
    invitation.updated_at = ctx.now
    invitation.stage = Stage.ANSWERING.value
    await session.flush()
    if invitation.position >= len(campaign.questions):
        invitation.stage = Stage.DONE.value
        invitation.completed_at = ctx.now
        return CampaignFinished(invitation.id)
    return _prompt(invitation, campaign)


async def pause(session: AsyncSession, ctx: Context, actor: Actor, invitation_id: int) -> int:
    """Stop for now (answers so far are kept); returns the invitation to resume."""
    invitation, _ = await _own(session, actor, invitation_id)
    invitation.updated_at = ctx.now
    return invitation.id


# ------------------------------------------------------------------ the sweep


async def campaigns_to_remind(session: AsyncSession, now: datetime) -> list[int]:
    statement = select(SurveyCampaign.id).where(
        SurveyCampaign.stopped_at.is_(None),
        SurveyCampaign.reminded_at.is_(None),
        SurveyCampaign.reminder_due_at <= now,
    )
    return list((await session.scalars(statement)).all())


async def send_reminders(session: AsyncSession, ctx: Context, campaign_id: int) -> int:
    """The one reminder to everyone who has not finished; exactly once per campaign."""
    if not await claim(
        session,
        SurveyCampaign,
        SurveyCampaign.id == campaign_id,
        SurveyCampaign.reminded_at.is_(None),
        SurveyCampaign.stopped_at.is_(None),
        reminded_at=ctx.now,
    ):
        return 0
    campaign = await session.get(SurveyCampaign, campaign_id)
    assert campaign is not None
    pending = (
        await session.execute(
            select(
                SurveyInvitation.id,
                SurveyInvitation.person_id,
                Person.telegram_id,
                Person.language,
                Person.telegram_language,
                SurveyInvitation.project_id,
            )
            .join(Person, Person.id == SurveyInvitation.person_id)
            .where(
                SurveyInvitation.campaign_key == campaign.key,
                SurveyInvitation.completed_at.is_(None),
                Person.telegram_id.is_not(None),
                Person.reachable.is_(True),
            )
            .order_by(SurveyInvitation.id)
        )
    ).all()
    await session.execute(
        update(SurveyInvitation)
        .where(
            SurveyInvitation.campaign_key == campaign.key,
            SurveyInvitation.completed_at.is_(None),
        )
        .values(reminded_at=ctx.now)
        .execution_options(synchronize_session=False)
    )
    invitees = tuple(
        Invitee(invitation, person, chat_id or 0, lang, tg_lang, project)
        for invitation, person, chat_id, lang, tg_lang, project in pending
    )
    await ctx.announce(session, CampaignReminder(campaign.key, invitees))
    return len(invitees)


def last_scheduled_time(schedule: str, ctx: Context) -> datetime | None:
    """The schedule's fire time in the last ``SCHEDULE_GRACE`` up to now, if any."""
    trigger = CronTrigger.from_crontab(schedule, timezone=ctx.org.zone())
    fire = trigger.get_next_fire_time(None, ctx.now - SCHEDULE_GRACE)
    return fire if fire is not None and fire <= ctx.now else None


async def start_scheduled(session: AsyncSession, ctx: Context) -> CampaignSummary | None:
    """Start the scheduled campaign if its time has come (once per scheduled time)."""
    schedule = ctx.org.survey.schedule
    fire = last_scheduled_time(schedule, ctx) if schedule else None
    if fire is None:
        return None
    if await session.scalar(select(SurveyCampaign.id).where(SurveyCampaign.scheduled_for == fire)):
        return None
    return await start_campaign(session, ctx, None, scheduled_for=fire)
