"""Tickets (repair requests, complaints, suggestions, inquiries), their history,
attachments and followers. Deadlines are columns, indexed for the SLA sweep."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from storage.models.base import Base, BigIntPk, stored_enum
from storage.types import UtcDateTime
from storage.vocabulary import TicketKind, TicketStatus


class Ticket(Base):
    __tablename__ = "tickets"
    __table_args__ = (
        UniqueConstraint("project_id", "seq"),
        Index("ix_tickets_project_status", "project_id", "status"),
        Index("ix_tickets_first_response_due", "first_response_due_at"),
        Index("ix_tickets_resolution_due", "resolution_due_at"),
        Index("ix_tickets_created", "created_at"),
        Index("ix_tickets_next_sla_check", "next_sla_check_at"),
        Index("ix_tickets_assignee_status", "assignee_id", "status"),
        # Manager statistics (bot/services/stats): each cohort's time range, for all
        # projects (HQ) and per project (regions, projects).
        Index("ix_tickets_resolved", "resolved_at"),
        Index("ix_tickets_first_responded", "first_responded_at"),
        Index("ix_tickets_project_created", "project_id", "created_at"),
        Index("ix_tickets_project_resolved", "project_id", "resolved_at"),
        Index("ix_tickets_project_first_response", "project_id", "first_responded_at"),
        # A staff message in a forum topic finds its ticket.
        Index("ix_tickets_topic", "topic_chat_id", "topic_thread_id"),
    )

    id: Mapped[int] = mapped_column(BigIntPk, primary_key=True)
    number: Mapped[str] = mapped_column(String(24), unique=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("org_units.id"))
    seq: Mapped[int] = mapped_column(Integer)
    kind: Mapped[TicketKind] = mapped_column(stored_enum(TicketKind, "ticket_kind"))
    category_key: Mapped[str | None] = mapped_column(String(64))
    urgent: Mapped[bool] = mapped_column(Boolean, default=False)
    status: Mapped[TicketStatus] = mapped_column(stored_enum(TicketStatus, "ticket_status"))
    resident_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"), index=True)
    property_unit_id: Mapped[int | None] = mapped_column(ForeignKey("property_units.id"))
    location_text: Mapped[str | None] = mapped_column(String(500))
    description: Mapped[str] = mapped_column(Text, default="")
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"), index=True)
    affected_count: Mapped[int] = mapped_column(Integer, default=1)
    # The resident's segment (a Segment) when the ticket was filed.
    segment: Mapped[str | None] = mapped_column(String(32))
    cancel_reason: Mapped[str | None] = mapped_column(Text)
    reopen_count: Mapped[int] = mapped_column(Integer, default=0)
    # A follow-up (e.g. the complaint call-back after a low rating) points at its ticket.
    parent_ticket_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id"), index=True)

    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    first_response_due_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    resolution_due_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    # Set while the resident owes staff an update; staff owe an answer by then.
    update_due_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    first_responded_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    resolved_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    # Waiting on the resident pauses the resolution clock.
    paused_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    paused_seconds: Mapped[int] = mapped_column(Integer, default=0)
    # Escalation ladders: the level reached on each (0 = not escalated).
    response_escalation_level: Mapped[int] = mapped_column(Integer, default=0)
    resolution_escalation_level: Mapped[int] = mapped_column(Integer, default=0)
    # When the SLA sweep must next look at this ticket (warning or escalation); NULL = never.
    next_sla_check_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    # The ticket's card in its project's staff group, edited in place as the ticket changes.
    card_chat_id: Mapped[int | None] = mapped_column(BigInteger)
    card_message_id: Mapped[int | None] = mapped_column(BigInteger)
    # The ticket's own topic where its group is a forum: the chat is set when the topic is
    # queued, the thread once Telegram created it; the title and closed state last sent.
    topic_chat_id: Mapped[int | None] = mapped_column(BigInteger)
    topic_thread_id: Mapped[int | None] = mapped_column(BigInteger)
    topic_title: Mapped[str | None] = mapped_column(String(128))
    topic_closed: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # When the retention job removed the personal text and photos of this closed ticket.
    personal_data_stripped_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    # Bumped on every change: stale buttons and concurrent presses compare it.
    version: Mapped[int] = mapped_column(Integer, default=1)

    events: Mapped[list[TicketEvent]] = relationship(
        back_populates="ticket", order_by="TicketEvent.id"
    )
    attachments: Mapped[list[Attachment]] = relationship(back_populates="ticket")


class TicketEventKind(enum.StrEnum):
    CREATED = "created"
    STATUS_CHANGED = "status_changed"
    ASSIGNED = "assigned"
    REPLY = "reply"  # staff → resident
    COMMENT = "comment"  # resident → staff
    NOTE = "note"  # internal, never shown to residents
    REASSIGNED = "reassigned"
    REOPENED = "reopened"
    CANCELLED = "cancelled"
    FOLLOWER_JOINED = "follower_joined"
    WARNED = "warned"
    ESCALATED = "escalated"  # data: {"ladder": "response"|"resolution", "level": n}
    DEADLINES_CHANGED = "deadlines_changed"


class TicketEvent(Base):
    """One line of a ticket's history: who did what, when."""

    __tablename__ = "ticket_events"
    __table_args__ = (Index("ix_ticket_events_kind_at", "kind", "at"),)

    id: Mapped[int] = mapped_column(BigIntPk, primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), index=True)
    at: Mapped[datetime] = mapped_column(UtcDateTime)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    kind: Mapped[str] = mapped_column(String(32))
    from_status: Mapped[str | None] = mapped_column(String(24))
    to_status: Mapped[str | None] = mapped_column(String(24))
    body: Mapped[str | None] = mapped_column(Text)
    internal: Mapped[bool] = mapped_column(Boolean, default=False)
    data: Mapped[dict[str, Any] | None] = mapped_column(JSON)

    ticket: Mapped[Ticket] = relationship(back_populates="events")


class Attachment(Base):
    __tablename__ = "attachments"

    id: Mapped[int] = mapped_column(BigIntPk, primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), index=True)
    event_id: Mapped[int | None] = mapped_column(ForeignKey("ticket_events.id"))
    author_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    file_id: Mapped[str] = mapped_column(String(255))
    file_unique_id: Mapped[str | None] = mapped_column(String(128))
    media_kind: Mapped[str] = mapped_column(String(16), default="photo")
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)

    ticket: Mapped[Ticket] = relationship(back_populates="attachments")


class TicketFollower(Base):
    """A resident who joined someone else's ticket and receives its updates."""

    __tablename__ = "ticket_followers"

    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"), primary_key=True)
    joined_at: Mapped[datetime] = mapped_column(UtcDateTime)
