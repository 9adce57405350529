"""The survey after a resolved ticket.

    "Is the problem fixed?" ─ fixed ──▶ rating 1–5 ─▶ reasons (optional) ─▶ comment
                                                        (optional) ─▶ ticket closed
                          └ not fixed ─▶ why? ─▶ ticket re-opened (deadline restarted)

Each person asked has one ``SurveyInvitation`` whose ``stage`` says where they
are, so a button from an earlier step, a second press or someone else's button
changes nothing. The scheduler sweeps three things (``scheduler/survey_jobs``):
one reminder after ``reminder_after``; auto-close after ``auto_close_after`` of
silence; and answers left half-way for ``abandon_after`` are taken as given (a
"fixed" closes the ticket, a "not fixed" re-opens it).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, delete, exists, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.config.orgfile import Organisation
from bot.config.orgfile.models import ReasonChip
from bot.i18n import N_, translate
from bot.services import access
from bot.services.context import Context
from bot.services.people import Actor
from bot.services.surveys import complaints
from bot.services.surveys.answers import COMMENT, RATING, REASON
from bot.services.surveys.errors import NotYourSurvey, StaleSurvey, TicketChanged
from bot.services.surveys.notices import NotFixedToAssignee, SurveyReminder
from bot.services.tickets import lifecycle
from bot.services.tickets.lifecycle import StaleAction
from bot.services.tickets.transitions import IllegalTransition
from storage.db import claim
from storage.models import (
    InvitationKind,
    InvitationStage,
    Person,
    SurveyInvitation,
    SurveyResponse,
    Ticket,
    TicketStatus,
)

Stage = InvitationStage
MID_FLOW = (Stage.RATING, Stage.REASONS, Stage.COMMENT, Stage.NOT_FIXED)

# Stored as the re-open's reason (in the history), so it is written in the staff's language.
NO_REASON_GIVEN = N_("(the resident did not say why)")


@dataclass(frozen=True)
class _Asked:
    """A question put to the resident: the invitation it answers, the ticket's number."""

    invitation_id: int
    ticket_number: str


class RatingPrompt(_Asked):
    """How satisfied, 1 to 5."""


@dataclass(frozen=True)
class ReasonsPrompt(_Asked):
    score: int
    praise: bool  # the chips say what went well (else what went wrong)
    chips: tuple[ReasonChip, ...]
    selected: frozenset[str]


@dataclass(frozen=True)
class CommentPrompt(_Asked):
    """Anything to add, in words; ``reasons``: the chips ticked before (their keys)."""

    reasons: tuple[str, ...] = ()


class NotFixedPrompt(_Asked):
    """Why it is not fixed (the ticket is re-opened with it)."""


Prompt = RatingPrompt | ReasonsPrompt | CommentPrompt | NotFixedPrompt


@dataclass(frozen=True)
class Finished:
    ticket_number: str
    closed: bool  # the ticket is closed now (by this answer, or already before)
    low_score: bool
    followup_number: str | None


# ------------------------------------------------------------------ helpers


async def _locked_invitation(session: AsyncSession, invitation_id: int) -> SurveyInvitation | None:
    return await session.scalar(
        select(SurveyInvitation)
        .where(SurveyInvitation.id == invitation_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )


async def _own(
    session: AsyncSession, actor: Actor, invitation_id: int, *stages: InvitationStage
) -> SurveyInvitation:
    """The actor's own ticket-survey invitation, locked; at one of ``stages`` if named."""
    invitation = await _locked_invitation(session, invitation_id)
    if invitation is None or invitation.kind != InvitationKind.TICKET:
        raise StaleSurvey
    if actor.person_id is None or invitation.person_id != actor.person_id:
        raise NotYourSurvey
    if stages:
        _expect(invitation, *stages)
    return invitation


def _ticket_of(invitation: SurveyInvitation) -> int:
    """The ticket a ticket survey's invitation is about (campaign invitations have none)."""
    assert invitation.ticket_id is not None, "not a ticket survey"
    return invitation.ticket_id


def _expect(invitation: SurveyInvitation, *stages: InvitationStage) -> None:
    if invitation.stage not in stages:
        raise StaleSurvey


def _actor_for(person: Person) -> Actor:
    """The resident as an actor, for answers the sweep completes on their behalf."""
    return Actor(telegram_id=person.telegram_id or 0, person_id=person.id, chosen_language=None)


async def _number(session: AsyncSession, invitation: SurveyInvitation) -> str:
    return (
        await session.scalar(select(Ticket.number).where(Ticket.id == invitation.ticket_id))
    ) or ""


def _mine(invitation: SurveyInvitation, question_key: str):
    return (
        SurveyResponse.ticket_id == invitation.ticket_id,
        SurveyResponse.person_id == invitation.person_id,
        SurveyResponse.question_key == question_key,
    )


def _response(
    invitation: SurveyInvitation,
    question_key: str,
    now: datetime,
    *,
    score: int | None = None,
    text: str | None = None,
) -> SurveyResponse:
    """The invited resident's answer to one question (the rows :func:`_mine` finds)."""
    return SurveyResponse(
        ticket_id=invitation.ticket_id,
        person_id=invitation.person_id,
        question_key=question_key,
        score=score,
        text=text,
        answered_at=now,
    )


async def _rating(session: AsyncSession, invitation: SurveyInvitation) -> int | None:
    return await session.scalar(
        select(SurveyResponse.score)
        .where(*_mine(invitation, RATING))
        .order_by(SurveyResponse.id.desc())
        .limit(1)
    )


async def _texts(session: AsyncSession, invitation: SurveyInvitation, key: str) -> list[str]:
    rows = await session.scalars(
        select(SurveyResponse.text).where(*_mine(invitation, key)).order_by(SurveyResponse.id)
    )
    return [text for text in rows.all() if text]


async def _reasons_prompt(
    session: AsyncSession, org: Organisation, invitation: SurveyInvitation, score: int
) -> ReasonsPrompt:
    return ReasonsPrompt(
        invitation_id=invitation.id,
        ticket_number=await _number(session, invitation),
        score=score,
        praise=score >= org.survey.praise_from,
        chips=tuple(org.survey.reasons_for(score)),
        selected=frozenset(await _texts(session, invitation, REASON)),
    )


async def _expire_unanswered(session: AsyncSession, ticket_id: int) -> None:
    """The ticket left "resolved": nobody still has to answer "is it fixed?"."""
    await session.execute(
        update(SurveyInvitation)
        .where(SurveyInvitation.ticket_id == ticket_id, SurveyInvitation.stage == Stage.ASKED)
        .values(stage=Stage.EXPIRED.value)
        .execution_options(synchronize_session=False)
    )


# ------------------------------------------------------------------ "is it fixed?"


async def _answer(
    session: AsyncSession,
    ctx: Context,
    actor: Actor,
    ticket_id: int,
    version: int,
    stage: InvitationStage,
) -> SurveyInvitation:
    ticket = await session.get(Ticket, ticket_id)
    if ticket is None:
        raise TicketChanged
    if not await access.is_resident_party(session, actor, ticket):
        raise NotYourSurvey
    if ticket.status is not TicketStatus.RESOLVED or ticket.version != version:
        raise TicketChanged
    invitation = await session.scalar(
        select(SurveyInvitation)
        .where(
            SurveyInvitation.ticket_id == ticket.id,
            SurveyInvitation.person_id == actor.person_id,
        )
        .with_for_update()
    )
    if invitation is None:  # resolved before invitations existed: asked all the same
        invitation = SurveyInvitation(
            kind=InvitationKind.TICKET.value,
            ticket_id=ticket.id,
            person_id=actor.person_id,
            project_id=ticket.project_id,
            sent_at=ticket.resolved_at or ctx.now,
            stage=Stage.ASKED.value,
            position=0,
        )
        session.add(invitation)
    _expect(invitation, Stage.ASKED)
    invitation.stage = stage.value
    invitation.ticket_version = version
    invitation.updated_at = ctx.now
    await session.flush()
    return invitation


async def answer_fixed(
    session: AsyncSession, ctx: Context, actor: Actor, ticket_id: int, version: int
) -> RatingPrompt:
    invitation = await _answer(session, ctx, actor, ticket_id, version, Stage.RATING)
    return RatingPrompt(invitation.id, await _number(session, invitation))


async def answer_not_fixed(
    session: AsyncSession, ctx: Context, actor: Actor, ticket_id: int, version: int
) -> NotFixedPrompt:
    invitation = await _answer(session, ctx, actor, ticket_id, version, Stage.NOT_FIXED)
    return NotFixedPrompt(invitation.id, await _number(session, invitation))


async def give_not_fixed_reason(
    session: AsyncSession, ctx: Context, actor: Actor, invitation_id: int, reason: str
) -> Ticket:
    """Re-open the ticket with the resident's reason; returns it, re-opened."""
    invitation = await _own(session, actor, invitation_id, Stage.NOT_FIXED)
    return await _reopen(session, ctx, invitation, actor, reason.strip())


async def _reopen(
    session: AsyncSession, ctx: Context, invitation: SurveyInvitation, actor: Actor, reason: str
) -> Ticket:
    invitation.updated_at = ctx.now
    try:
        ticket = await lifecycle.reopen(
            session, ctx, _ticket_of(invitation), actor, reason, invitation.ticket_version
        )
    except (StaleAction, IllegalTransition, access.AccessDenied):
        invitation.stage = Stage.EXPIRED.value
        raise TicketChanged from None
    invitation.stage = Stage.REOPENED.value
    await _tell_assignee(session, ctx, ticket, reason)
    return ticket


async def _tell_assignee(session: AsyncSession, ctx: Context, ticket: Ticket, reason: str) -> None:
    """The group hears of the re-open from the lifecycle; the assignee also hears it directly."""
    if ticket.assignee_id is not None:
        await ctx.announce(session, NotFixedToAssignee(ticket.id, ticket.assignee_id, reason))


# ------------------------------------------------------------------ rating, reasons, comment


async def rate(
    session: AsyncSession, ctx: Context, actor: Actor, invitation_id: int, score: int
) -> ReasonsPrompt | CommentPrompt:
    invitation = await _own(session, actor, invitation_id, Stage.RATING)
    if not 1 <= score <= 5:
        raise StaleSurvey
    session.add(_response(invitation, RATING, ctx.now, score=score))
    invitation.answered_at = invitation.answered_at or ctx.now
    invitation.updated_at = ctx.now
    await session.flush()
    if ctx.org.survey.reasons_for(score):
        invitation.stage = Stage.REASONS.value
        return await _reasons_prompt(session, ctx.org, invitation, score)
    invitation.stage = Stage.COMMENT.value
    return CommentPrompt(invitation.id, await _number(session, invitation))


async def toggle_reason(
    session: AsyncSession, ctx: Context, actor: Actor, invitation_id: int, chip_key: str
) -> ReasonsPrompt:
    invitation = await _own(session, actor, invitation_id, Stage.REASONS)
    score = await _rating(session, invitation) or 0
    if chip_key not in {chip.key for chip in ctx.org.survey.reasons_for(score)}:
        raise StaleSurvey
    ticked = await session.scalar(
        select(SurveyResponse.id).where(*_mine(invitation, REASON), SurveyResponse.text == chip_key)
    )
    if ticked is None:
        session.add(_response(invitation, REASON, ctx.now, text=chip_key))
    else:
        await session.execute(delete(SurveyResponse).where(SurveyResponse.id == ticked))
    invitation.updated_at = ctx.now
    await session.flush()
    return await _reasons_prompt(session, ctx.org, invitation, score)


async def reasons_done(
    session: AsyncSession, ctx: Context, actor: Actor, invitation_id: int
) -> CommentPrompt:
    invitation = await _own(session, actor, invitation_id, Stage.REASONS)
    invitation.stage = Stage.COMMENT.value
    invitation.updated_at = ctx.now
    ticked = await _texts(session, invitation, REASON)
    return CommentPrompt(invitation.id, await _number(session, invitation), tuple(ticked))


async def finish(
    session: AsyncSession, ctx: Context, actor: Actor, invitation_id: int, comment: str | None
) -> Finished:
    """The comment (or none): the survey is over and the ticket is closed."""
    invitation = await _own(session, actor, invitation_id, Stage.COMMENT)
    if comment and comment.strip():
        session.add(_response(invitation, COMMENT, ctx.now, text=comment.strip()))
        await session.flush()
    return await _complete(session, ctx, invitation, actor)


async def _complete(
    session: AsyncSession, ctx: Context, invitation: SurveyInvitation, actor: Actor
) -> Finished:
    invitation.stage = Stage.DONE.value
    invitation.completed_at = ctx.now
    invitation.updated_at = ctx.now
    ticket = await lifecycle.load_for_update(session, _ticket_of(invitation))
    closed = ticket.status is TicketStatus.CLOSED
    if ticket.status is TicketStatus.RESOLVED and ticket.version == invitation.ticket_version:
        try:
            await lifecycle.confirm_fixed(session, ctx, ticket.id, actor, invitation.ticket_version)
        except (StaleAction, IllegalTransition, access.AccessDenied):
            pass
        else:
            closed = True
            await _expire_unanswered(session, ticket.id)
    score = await _rating(session, invitation)
    low = score is not None and ctx.org.survey.is_low(score)
    followup = None
    if low:
        assert score is not None
        person = await session.get(Person, invitation.person_id)
        assert person is not None
        followup = await complaints.open_followup(
            session,
            ctx,
            ticket,
            person,
            score,
            reasons=await _texts(session, invitation, REASON),
            comment=" / ".join(await _texts(session, invitation, COMMENT)) or None,
        )
    return Finished(ticket.number, closed, low, followup.number if followup else None)


async def current_prompt(
    session: AsyncSession, ctx: Context, actor: Actor, invitation_id: int
) -> Prompt:
    """The question the resident should be answering now (to ask it again)."""
    invitation = await _own(session, actor, invitation_id)
    number = await _number(session, invitation)
    if invitation.stage == Stage.RATING:
        return RatingPrompt(invitation.id, number)
    if invitation.stage == Stage.REASONS:
        return await _reasons_prompt(
            session, ctx.org, invitation, await _rating(session, invitation) or 0
        )
    if invitation.stage == Stage.COMMENT:
        return CommentPrompt(invitation.id, number)
    if invitation.stage == Stage.NOT_FIXED:
        return NotFixedPrompt(invitation.id, number)
    raise StaleSurvey


# ------------------------------------------------------------------ the sweep


async def _ticket_invitations(session: AsyncSession, *conditions: ColumnElement[bool]) -> list[int]:
    """Ticket-survey invitations (with their ticket) that meet ``conditions``, oldest first."""
    statement = (
        select(SurveyInvitation.id)
        .join(Ticket, Ticket.id == SurveyInvitation.ticket_id)
        .where(SurveyInvitation.kind == InvitationKind.TICKET, *conditions)
        .order_by(SurveyInvitation.id)
    )
    return list((await session.scalars(statement)).all())


async def invitations_to_remind(
    session: AsyncSession, org: Organisation, now: datetime
) -> list[int]:
    return await _ticket_invitations(
        session,
        SurveyInvitation.stage == Stage.ASKED,
        SurveyInvitation.reminded_at.is_(None),
        Ticket.status == TicketStatus.RESOLVED,
        Ticket.resolved_at <= now - org.survey.reminder_after,
    )


async def send_reminder(session: AsyncSession, ctx: Context, invitation_id: int) -> bool:
    """The one reminder; a second call (or a second instance) sends nothing."""
    if not await claim(
        session,
        SurveyInvitation,
        SurveyInvitation.id == invitation_id,
        SurveyInvitation.reminded_at.is_(None),
        SurveyInvitation.stage == Stage.ASKED,
        reminded_at=ctx.now,
    ):
        return False
    invitation = await session.get(SurveyInvitation, invitation_id)
    assert invitation is not None
    ticket = await session.get(Ticket, invitation.ticket_id)
    person = await session.get(Person, invitation.person_id)
    reachable = person is not None and person.telegram_id is not None and person.reachable
    if ticket is None or ticket.status is not TicketStatus.RESOLVED or not reachable:
        return False
    close_at = (ticket.resolved_at or ctx.now) + ctx.org.survey.auto_close_after
    await ctx.announce(
        session, SurveyReminder(invitation.id, ticket.id, invitation.person_id, close_at)
    )
    return True


def _answering(ticket_id_column):
    return exists().where(
        SurveyInvitation.ticket_id == ticket_id_column, SurveyInvitation.stage.in_(MID_FLOW)
    )


async def tickets_to_auto_close(
    session: AsyncSession, org: Organisation, now: datetime
) -> list[int]:
    """Resolved tickets nobody answered in time (someone half-way through is waited for)."""
    statement = (
        select(Ticket.id)
        .where(
            Ticket.status == TicketStatus.RESOLVED,
            Ticket.resolved_at <= now - org.survey.auto_close_after,
            ~_answering(Ticket.id),
        )
        .order_by(Ticket.id)
    )
    return list((await session.scalars(statement)).all())


async def auto_close(session: AsyncSession, ctx: Context, ticket_id: int) -> bool:
    ticket = await lifecycle.load_for_update(session, ticket_id)
    due = ctx.now - ctx.org.survey.auto_close_after
    if ticket.status is not TicketStatus.RESOLVED or ticket.resolved_at is None:
        return False
    if ticket.resolved_at > due or await session.scalar(select(_answering(ticket.id))):
        return False
    await lifecycle.auto_close(session, ctx, ticket_id)
    await _expire_unanswered(session, ticket_id)
    return True


async def abandoned_invitations(
    session: AsyncSession, org: Organisation, now: datetime
) -> list[int]:
    return await _ticket_invitations(
        session,
        SurveyInvitation.stage.in_(MID_FLOW),
        SurveyInvitation.updated_at <= now - org.survey.abandon_after,
    )


async def finish_abandoned(session: AsyncSession, ctx: Context, invitation_id: int) -> bool:
    """Take a half-finished answer as given: "fixed" closes, "not fixed" re-opens."""
    invitation = await _locked_invitation(session, invitation_id)
    if (
        invitation is None
        or invitation.stage not in MID_FLOW
        or invitation.updated_at > ctx.now - ctx.org.survey.abandon_after
    ):
        return False
    person = await session.get(Person, invitation.person_id)
    assert person is not None
    actor = _actor_for(person)
    if invitation.stage == Stage.NOT_FIXED:
        try:
            await _reopen(
                session, ctx, invitation, actor, translate(ctx.group_locale, NO_REASON_GIVEN)
            )
        except TicketChanged:
            pass
        return True
    await _complete(session, ctx, invitation, actor)
    return True
