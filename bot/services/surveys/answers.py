"""The answers to the survey after a ticket, as stored (one row per answer) and as read
back for that ticket."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import SurveyResponse, Ticket

# SurveyResponse.question_key of a ticket survey's answers.
RATING, REASON, COMMENT = "rating", "reason", "comment"


@dataclass
class Feedback:
    """One resident's answers about a ticket."""

    by_owner: bool  # the resident who filed it (else a neighbour who joined it)
    score: int | None = None
    reasons: list[str] = field(default_factory=list)  # the chips' keys
    comment: str | None = None


async def ticket_feedback(session: AsyncSession, ticket: Ticket) -> list[Feedback]:
    """Each resident's answers about ``ticket``, the first to answer first."""
    rows = await session.execute(
        select(
            SurveyResponse.person_id,
            SurveyResponse.question_key,
            SurveyResponse.score,
            SurveyResponse.text,
        )
        .where(SurveyResponse.ticket_id == ticket.id)
        .order_by(SurveyResponse.answered_at, SurveyResponse.id)
    )
    by_person: dict[int | None, Feedback] = {}
    for person_id, question, score, text in rows:
        owner = person_id is not None and person_id == ticket.resident_id
        answers = by_person.setdefault(person_id, Feedback(by_owner=owner))
        if question == RATING:
            answers.score = score
        elif question == REASON and text:
            answers.reasons.append(text)
        elif question == COMMENT and text:
            answers.comment = text
    return list(by_person.values())
