"""Satisfaction metrics from survey answers.

- CSAT: ticket ratings (``question_key = "rating"``, 1–5) given in the period;
  satisfied = 4 or 5. Every rating counts (a follower's too).
- NPS: ``question_key = "nps"`` answers (0–10) given in the period; below HQ, the
  answers about the scope's projects (``survey_invitations.project_id``).
- Response rate: of the surveys sent in the period (``survey_invitations``), the
  share answered, for ticket surveys and questionnaires separately.
- Questionnaire dimensions: the 1–5 answers given in the period to each rating
  question of the questionnaire (cleanliness, security, …), count and mean; below HQ,
  about the scope's projects, as for NPS. Suggestions: its free-text answers.
  Which keys are rating or text questions comes from the campaigns' snapshots
  (``survey_campaigns.questions``) of the campaigns open during the period.

docs/surveys.md is the surveys' side of this contract.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import and_, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from bot.services.stats import filters as f
from bot.services.stats.figures import (
    Dimension,
    LowRating,
    Nps,
    Questionnaire,
    ResponseRate,
    Satisfaction,
    Suggestion,
)
from bot.services.stats.periods import Period
from bot.services.stats.scope import StatsScope
from storage.models import (
    OrgLevel,
    OrgUnit,
    SurveyCampaign,
    SurveyInvitation,
    SurveyResponse,
    Ticket,
)

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


# ------------------------------------------------------------------ the questionnaire

RATING_QUESTION, TEXT_QUESTION = "rating", "text"


@dataclass(frozen=True)
class AskedQuestion:
    key: str
    kind: str  # "rating" | "nps" | "text"
    texts: tuple[tuple[str, str], ...]  # (("zh", …), ("en", …)) as asked


async def questions_asked(session: AsyncSession, period: Period) -> list[AskedQuestion]:
    """The questions of the campaigns open during the period (started before its end,
    not stopped before its start): the latest campaign's in its order, then any other
    keys of earlier ones; the latest wording of each key wins."""
    snapshots = await session.scalars(
        select(SurveyCampaign.questions)
        .where(
            SurveyCampaign.started_at < period.end,
            or_(SurveyCampaign.stopped_at.is_(None), SurveyCampaign.stopped_at >= period.start),
        )
        .order_by(SurveyCampaign.started_at.desc(), SurveyCampaign.id.desc())
    )
    asked: dict[str, AskedQuestion] = {}
    for questions in snapshots.all():
        for question in questions or []:
            key = str(question.get("key", ""))
            if key and key not in asked:
                texts = question.get("text") or {}
                asked[key] = AskedQuestion(
                    key,
                    str(question.get("kind", RATING_QUESTION)),
                    tuple((str(lang), str(text)) for lang, text in sorted(texts.items())),
                )
    return list(asked.values())


def _answers_about(scope: StatsScope, period: Period, keys: list[str]):
    """Questionnaire answers to ``keys`` in the period, joined (outer) with the answering
    resident's invitation, which says the project; below HQ, the scope's projects."""
    invitation = aliased(SurveyInvitation)
    conditions = [
        SurveyResponse.question_key.in_(keys),
        SurveyResponse.campaign_key.is_not(None),
        f.within(SurveyResponse.answered_at, period),
    ]
    if scope.level is not OrgLevel.HQ:
        conditions.append(invitation.project_id.in_(scope.project_ids))
    joined = and_(
        invitation.campaign_key == SurveyResponse.campaign_key,
        invitation.person_id == SurveyResponse.person_id,
    )
    return invitation, joined, conditions


async def dimension_scores(
    session: AsyncSession, scope: StatsScope, period: Period, questions: list[AskedQuestion]
) -> dict[tuple[int | None, str], tuple[int, int]]:
    """(answers, sum of scores) per (project, rating question) in the period."""
    keys = [q.key for q in questions if q.kind == RATING_QUESTION]
    if not keys:
        return {}
    invitation, joined, conditions = _answers_about(scope, period, keys)
    statement = (
        select(
            invitation.project_id,
            SurveyResponse.question_key,
            func.count().label("n"),
            func.coalesce(func.sum(SurveyResponse.score), 0).label("score_sum"),
        )
        .select_from(SurveyResponse)
        .outerjoin(invitation, joined)
        .where(*conditions, SurveyResponse.score.between(1, 5))
        .group_by(invitation.project_id, SurveyResponse.question_key)
    )
    return {
        (project_id, key): (n, int(score_sum))
        for project_id, key, n, score_sum in (await session.execute(statement)).all()
    }


async def suggestions(
    session: AsyncSession,
    scope: StatsScope,
    period: Period,
    questions: list[AskedQuestion],
    *,
    limit: int,
) -> tuple[int, list[Suggestion]]:
    """How many free-text answers were given in the period, and the newest ``limit``."""
    keys = [q.key for q in questions if q.kind == TEXT_QUESTION]
    if not keys:
        return 0, []
    invitation, joined, conditions = _answers_about(scope, period, keys)
    conditions.append(SurveyResponse.text.is_not(None))
    total = await session.scalar(
        select(func.count())
        .select_from(SurveyResponse)
        .outerjoin(invitation, joined)
        .where(*conditions)
    )
    listed: list[Suggestion] = []
    if limit > 0:
        statement = (
            select(
                SurveyResponse.text,
                SurveyResponse.answered_at,
                OrgUnit.name,
                SurveyResponse.question_key,
                SurveyResponse.campaign_key,
                OrgUnit.key,
            )
            .select_from(SurveyResponse)
            .outerjoin(invitation, joined)
            .outerjoin(OrgUnit, OrgUnit.id == invitation.project_id)
            .where(*conditions)
            .order_by(SurveyResponse.answered_at.desc(), SurveyResponse.id.desc())
            .limit(limit)
        )
        listed = [
            Suggestion(text or "", answered_at, project, key, campaign or "", project_key)
            for text, answered_at, project, key, campaign, project_key in (
                await session.execute(statement)
            ).all()
        ]
    return int(total or 0), listed


async def questionnaire(
    session: AsyncSession, scope: StatsScope, period: Period, *, suggestions_listed: int
) -> tuple[Questionnaire, dict[int, dict[str, Dimension]]]:
    """The questionnaire's figures for the scope, and its dimensions per project."""
    questions = await questions_asked(session, period)
    if not questions:
        return Questionnaire(), {}
    scores = await dimension_scores(session, scope, period, questions)
    count, listed = await suggestions(session, scope, period, questions, limit=suggestions_listed)
    totals: list[Dimension] = []
    per_project: dict[int, dict[str, Dimension]] = {}
    for question in questions:
        if question.kind != RATING_QUESTION:
            continue
        total = Dimension(question.key, texts=question.texts)
        for (project_id, key), (n, score_sum) in scores.items():
            if key != question.key:
                continue
            found = Dimension(key, n, score_sum, question.texts)
            total = total + found
            if project_id is not None:
                per_project.setdefault(project_id, {})[key] = found
        totals.append(total)
    return Questionnaire(tuple(totals), tuple(listed), count), per_project
