"""An append-only record of who did what to whom, including every refusal."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from storage.models.base import Base, BigIntPk
from storage.types import UtcDateTime


class AuditEntry(Base):
    __tablename__ = "audit_log"
    __table_args__ = (
        Index("ix_audit_log_at", "at"),
        Index("ix_audit_log_org_unit_at", "org_unit_id", "at"),
    )

    id: Mapped[int] = mapped_column(BigIntPk, primary_key=True)
    at: Mapped[datetime] = mapped_column(UtcDateTime)
    actor_telegram_id: Mapped[int | None] = mapped_column(BigInteger)
    actor_person_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    # e.g. "ticket.take", "group.bind", "personal_data.view", "role.grant"
    action: Mapped[str] = mapped_column(String(64))
    # "allowed" or "refused"
    outcome: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str | None] = mapped_column(Text)
    # The organisation unit the action concerns, for scoping /audit.
    org_unit_id: Mapped[int | None] = mapped_column(ForeignKey("org_units.id"))
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id"))
    subject_person_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    data: Mapped[dict[str, Any] | None] = mapped_column(JSON)
