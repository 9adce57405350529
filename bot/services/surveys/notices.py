"""What the surveys tell people, as plain data; ``bot/presentation/outbound/surveys.py``
renders each notice in its reader's language and queues it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.services.context import Notice


@dataclass(frozen=True)
class SurveyReminder(Notice):
    """The one reminder to a resident who has not said whether ``ticket_id`` is fixed."""

    invitation_id: int
    ticket_id: int
    person_id: int
    close_at: datetime  # when the ticket closes by itself without an answer


@dataclass(frozen=True)
class NotFixedToAssignee(Notice):
    """The resident says the ticket is not fixed: its assignee hears it directly."""

    ticket_id: int
    assignee_id: int
    reason: str


@dataclass(frozen=True)
class LowScore(Notice):
    """A resident rated ``ticket_id`` low; ``followup_id`` is the call-back ticket opened for
    it, or None when the rated ticket was itself a follow-up (the region above is told)."""

    ticket_id: int
    resident_id: int
    score: int
    reasons: tuple[str, ...]  # reason chip keys
    comment: str | None
    unit_id: int  # whose staff group is told
    followup_id: int | None


@dataclass(frozen=True)
class Invitee:
    """A resident invited to a campaign (their language as stored, for the renderer)."""

    invitation_id: int
    person_id: int
    chat_id: int
    language: str | None
    telegram_language: str | None
    project_id: int | None


@dataclass(frozen=True)
class CampaignStarted(Notice):
    """Everyone invited to campaign ``campaign_key`` gets its invitation, spread out."""

    campaign_key: str
    question_count: int
    invitees: tuple[Invitee, ...]


@dataclass(frozen=True)
class CampaignReminder(Notice):
    """The one reminder to everyone who has not finished campaign ``campaign_key``."""

    campaign_key: str
    invitees: tuple[Invitee, ...]
