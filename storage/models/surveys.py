"""Satisfaction surveys: answers, who was asked, and questionnaire campaigns.

``SurveyResponse`` holds one answer per row (the stats read only these and
``SurveyInvitation``; docs/surveys.md is the contract):

- after a ticket: ``question_key`` "rating" (``score`` 1–5), "reason" (``text`` =
  a reason chip key, one row per ticked chip), "comment" (``text``); ``ticket_id`` set;
- a questionnaire: ``campaign_key`` set, ``question_key`` = the question's key
  ("nps" is scored 0–10, rating questions 1–5, text questions have ``text``).

``SurveyInvitation`` is one person asked one survey: response rate = answered
(or completed) / sent. ``stage`` and ``position`` are the survey's own
bookkeeping (where the person is in the conversation).
"""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from storage.models.base import Base, BigIntPk
from storage.types import UtcDateTime


class SurveyResponse(Base):
    __tablename__ = "survey_responses"
    # Manager statistics read ratings and NPS answers by question and time.
    __table_args__ = (
        Index("ix_survey_responses_question_answered", "question_key", "answered_at"),
    )

    id: Mapped[int] = mapped_column(BigIntPk, primary_key=True)
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id"), index=True)
    campaign_key: Mapped[str | None] = mapped_column(String(64), index=True)
    person_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"), index=True)
    question_key: Mapped[str] = mapped_column(String(64))
    score: Mapped[int | None] = mapped_column(Integer)
    text: Mapped[str | None] = mapped_column(Text)
    answered_at: Mapped[datetime] = mapped_column(UtcDateTime)


class InvitationKind(enum.StrEnum):
    TICKET = "ticket"
    CAMPAIGN = "campaign"


class InvitationStage(enum.StrEnum):
    """Where the person is in the survey conversation."""

    ASKED = "asked"  # ticket: "is it fixed?" sent, no answer yet
    RATING = "rating"  # said fixed, the 1–5 rating is open
    REASONS = "reasons"  # rated, may tick reasons
    COMMENT = "comment"  # may write a comment
    NOT_FIXED = "not_fixed"  # said not fixed, asked why
    REOPENED = "reopened"  # the ticket went back to work on their answer
    EXPIRED = "expired"  # the ticket closed or changed without their answer
    INVITED = "invited"  # campaign: invitation sent, not started
    ANSWERING = "answering"  # campaign: some questions answered
    DONE = "done"  # finished (ticket survey completed, or every question answered)


class SurveyInvitation(Base):
    """One person asked one survey (a ticket's, or a questionnaire campaign's)."""

    __tablename__ = "survey_invitations"
    __table_args__ = (
        # NULLs never collide, so each constraint only bites on its own kind of row.
        UniqueConstraint("ticket_id", "person_id"),
        UniqueConstraint("campaign_key", "person_id"),
        Index("ix_survey_invitations_kind_stage", "kind", "stage"),
        Index("ix_survey_invitations_sent_at", "sent_at"),
    )

    id: Mapped[int] = mapped_column(BigIntPk, primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))  # InvitationKind
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id"))
    campaign_key: Mapped[str | None] = mapped_column(String(64))
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"), index=True)
    # The project the answers are about: the ticket's, or the resident's for a campaign.
    project_id: Mapped[int | None] = mapped_column(ForeignKey("org_units.id"), index=True)
    sent_at: Mapped[datetime] = mapped_column(UtcDateTime)
    reminded_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    # First answer (ticket: the rating; campaign: any question).
    answered_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    # Finished (ticket: rating flow over; campaign: every question answered or skipped).
    completed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    stage: Mapped[str] = mapped_column(String(16))  # InvitationStage
    # Campaign: index of the next question to ask.
    position: Mapped[int] = mapped_column(Integer, default=0)
    # Ticket: the ticket's version when the person answered "fixed"/"not fixed".
    ticket_version: Mapped[int | None] = mapped_column(Integer)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)


class SurveyCampaign(Base):
    """A run of the periodic questionnaire to the residents of some projects."""

    __tablename__ = "survey_campaigns"

    id: Mapped[int] = mapped_column(BigIntPk, primary_key=True)
    # What managers type: /survey stop <key>; also SurveyResponse.campaign_key.
    key: Mapped[str] = mapped_column(String(64), unique=True)
    # The organisation unit it was started for (HQ, a region or a project).
    org_unit_id: Mapped[int] = mapped_column(ForeignKey("org_units.id"), index=True)
    project_ids: Mapped[list[int]] = mapped_column(JSON)
    # The questions as they were at the start: [{"key", "kind", "text": {"zh", "en"}}].
    questions: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    started_at: Mapped[datetime] = mapped_column(UtcDateTime)
    started_by_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    # Set for a run started by the schedule: one campaign per scheduled time.
    scheduled_for: Mapped[datetime | None] = mapped_column(UtcDateTime, unique=True)
    invited_count: Mapped[int] = mapped_column(Integer, default=0)
    reminder_due_at: Mapped[datetime] = mapped_column(UtcDateTime)
    reminded_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    stopped_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    stopped_by_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
