"""Satisfaction metrics from survey answers.

- CSAT: ticket ratings (``question_key = "rating"``, 1–5) given in the period;
  satisfied = 4 or 5. Every rating counts (a follower's too).
- NPS: ``question_key = "nps"`` answers (0–10) given in the period; below HQ, the
  answers about the scope's projects (``survey_invitations.project_id``).
- Response rate: of the surveys sent in the period (``survey_invitations``), the
  share answered, for ticket surveys and questionnaires separately.

docs/surveys.md is the surveys' side of this contract.
"""

from __future__ import annotations

from sqlalchemy import and_, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from bot.services.stats import filters as f
from bot.services.stats.figures import LowRating, Nps, ResponseRate, Satisfaction
from bot.services.stats.periods import Period
from bot.services.stats.scope import StatsScope
from storage.models import OrgLevel, SurveyInvitation, SurveyResponse, Ticket

RATING, COMMENT, NPS = "rating", "comment", "nps"
TICKET_SURVEY, QUESTIONNAIRE = "ticket", "campaign"


def _ratings_in(scope: StatsScope, period: Period):
    return (
        SurveyResponse.question_key == RATING,
        SurveyResponse.score.between(1, 5),
        f.within(SurveyResponse.answered_at, period),
        f.joined_in_scope(scope),
    )


async def ratings_by_project_and_assignee(
    session: AsyncSession, scope: StatsScope, period: Period
) -> dict[tuple[int, int | None], Satisfaction]:
    statement = (
        select(
            Ticket.project_id,
            Ticket.assignee_id,
            func.count().label("n"),
            f.count_if(SurveyResponse.score >= 4).label("satisfied"),
            func.coalesce(func.sum(SurveyResponse.score), 0).label("score_sum"),
        )
        .select_from(SurveyResponse)
        .join(Ticket, Ticket.id == SurveyResponse.ticket_id)
        .where(*_ratings_in(scope, period))
        .group_by(Ticket.project_id, Ticket.assignee_id)
    )
    return {
        (row.project_id, row.assignee_id): Satisfaction(row.n, row.satisfied, int(row.score_sum))
        for row in (await session.execute(statement)).all()
    }


async def nps(session: AsyncSession, scope: StatsScope, period: Period) -> Nps:
    """NPS answers in the period; below HQ, those about the scope's projects (the
    project of the respondent's questionnaire invitation)."""
    statement = select(
        func.count().label("n"),
        f.count_if(SurveyResponse.score >= 9).label("promoters"),
        f.count_if(SurveyResponse.score <= 6).label("detractors"),
    ).where(
        SurveyResponse.question_key == NPS,
        SurveyResponse.score.between(0, 10),
        f.within(SurveyResponse.answered_at, period),
    )
    if scope.level is not OrgLevel.HQ:
        statement = statement.join(
            SurveyInvitation,
            and_(
                SurveyInvitation.campaign_key == SurveyResponse.campaign_key,
                SurveyInvitation.person_id == SurveyResponse.person_id,
            ),
        ).where(SurveyInvitation.project_id.in_(scope.project_ids))
    row = (await session.execute(statement)).one()
    return Nps(row.n, row.promoters, row.detractors)


async def response_rates(
    session: AsyncSession, scope: StatsScope, period: Period
) -> dict[str, ResponseRate]:
    """Surveys sent in the period and how many were answered, per kind
    (``"ticket"``: after a resolution; ``"campaign"``: a questionnaire)."""
    conditions = [f.within(SurveyInvitation.sent_at, period)]
    if scope.level is not OrgLevel.HQ:
        conditions.append(SurveyInvitation.project_id.in_(scope.project_ids))
    statement = (
        select(
            SurveyInvitation.kind,
            func.count().label("sent"),
            func.count(SurveyInvitation.answered_at).label("answered"),
        )
        .where(*conditions)
        .group_by(SurveyInvitation.kind)
    )
    rates = {kind: ResponseRate() for kind in (TICKET_SURVEY, QUESTIONNAIRE)}
    for kind, sent, answered in (await session.execute(statement)).all():
        rates[kind] = ResponseRate(sent, answered)
    return rates


async def lowest_ratings(
    session: AsyncSession, scope: StatsScope, period: Period, *, at_most: int = 3, limit: int = 5
) -> list[LowRating]:
    """The lowest ratings of the period (score ≤ ``at_most``) with the rater's comment."""
    comment = aliased(SurveyResponse)
    comment_text = (
        select(comment.text)
        .where(
            comment.ticket_id == SurveyResponse.ticket_id,
            comment.question_key == COMMENT,
            or_(
                comment.person_id == SurveyResponse.person_id,
                and_(comment.person_id.is_(None), SurveyResponse.person_id.is_(None)),
            ),
        )
        .order_by(comment.id.desc())
        .limit(1)
        .scalar_subquery()
    )
    statement = (
        select(Ticket.number, SurveyResponse.score, comment_text, SurveyResponse.answered_at)
        .select_from(SurveyResponse)
        .join(Ticket, Ticket.id == SurveyResponse.ticket_id)
        .where(*_ratings_in(scope, period), SurveyResponse.score <= at_most)
        .order_by(SurveyResponse.score, SurveyResponse.answered_at.desc(), SurveyResponse.id)
        .limit(limit)
    )
    return [
        LowRating(number, score, text, answered_at)
        for number, score, text, answered_at in (await session.execute(statement)).all()
    ]
