"""Notices to residents (announcements), the self-service answers they make possible,
and incidents (mass faults) that gather the tickets of one fault.

An ``Announcement`` is what a manager or agent sends with ``/notice``: an audience (the
projects, and maybe only some of their buildings), a kind, the affected category, a
time window and the words in Chinese and English. Its messages to residents are rows
of the outbox (ref ``notice:<id>``), so delivery, resumption after a restart and the
final count are the outbox's. (Named so as not to be confused with the domain's
``Notice`` of what happened.)
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, BigInteger, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from storage.models.base import Base, BigIntPk
from storage.types import UtcDateTime


class Announcement(Base):
    __tablename__ = "announcements"
    __table_args__ = (Index("ix_announcements_kind_category", "kind", "category_key"),)

    id: Mapped[int] = mapped_column(BigIntPk, primary_key=True)
    # The unit chosen as the audience (a project, a region, the HQ) and what it covers.
    org_unit_id: Mapped[int] = mapped_column(ForeignKey("org_units.id"), index=True)
    project_ids: Mapped[list[int]] = mapped_column(JSON)
    building_ids: Mapped[list[int]] = mapped_column(JSON)  # empty: every building
    kind: Mapped[str] = mapped_column(String(16))  # an AnnouncementKind
    category_key: Mapped[str | None] = mapped_column(String(64))
    starts_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    ends_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    text_zh: Mapped[str] = mapped_column(Text)
    text_en: Mapped[str | None] = mapped_column(Text)
    photo_file_id: Mapped[str | None] = mapped_column(String(255))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    sender_chat_id: Mapped[int | None] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)
    # When its messages are due: at once, or when the quiet hours end.
    deliver_at: Mapped[datetime] = mapped_column(UtcDateTime)
    reach: Mapped[int] = mapped_column(Integer, default=0)
    revision: Mapped[int] = mapped_column(Integer, default=1)
    edited_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    withdrawn_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    withdrawn_by_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    # When the sender was told the final count (delivered, unreachable): once.
    reported_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class AnnouncementMute(Base):
    """A resident who does not want general notices (outages and incidents still come)."""

    __tablename__ = "announcement_mutes"

    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"), primary_key=True)
    muted_at: Mapped[datetime] = mapped_column(UtcDateTime)


class SelfServiceEvent(Base):
    """A report answered by an active notice (``deflected``) or a question answered by
    the FAQ (``faq``), and what the resident did next (``outcome``)."""

    __tablename__ = "self_service_events"
    __table_args__ = (Index("ix_self_service_events_kind_at", "kind", "shown_at"),)

    id: Mapped[int] = mapped_column(BigIntPk, primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))  # "deflected" | "faq"
    person_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"), index=True)
    project_id: Mapped[int | None] = mapped_column(ForeignKey("org_units.id"))
    announcement_id: Mapped[int | None] = mapped_column(ForeignKey("announcements.id"))
    faq_key: Mapped[str | None] = mapped_column(String(64))
    shown_at: Mapped[datetime] = mapped_column(UtcDateTime)
    # "ok" / "filed" after a notice; "answered" / "help" after a FAQ answer; None: no answer.
    outcome: Mapped[str | None] = mapped_column(String(16))
    decided_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class Incident(Base):
    """A mass fault: one ticket made the incident of its category and building; the
    tickets of that category and building reported meanwhile are linked to it."""

    __tablename__ = "incidents"

    id: Mapped[int] = mapped_column(BigIntPk, primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), unique=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("org_units.id"), index=True)
    building_id: Mapped[int | None] = mapped_column(ForeignKey("buildings.id"))
    category_key: Mapped[str | None] = mapped_column(String(64))
    opened_by_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    opened_at: Mapped[datetime] = mapped_column(UtcDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    closed_by_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))


class IncidentTicket(Base):
    __tablename__ = "incident_tickets"

    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id"), primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), primary_key=True)
    linked_at: Mapped[datetime] = mapped_column(UtcDateTime)
