"""One-time invitations that register whoever opens them as staff of a unit."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from storage.models.base import Base, BigIntPk, stored_enum
from storage.types import UtcDateTime
from storage.vocabulary import StaffRole


class StaffInvite(Base):
    """Only the token's SHA-256 is stored: a leaked database cannot be used to join."""

    __tablename__ = "staff_invites"

    id: Mapped[int] = mapped_column(BigIntPk, primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    role: Mapped[StaffRole] = mapped_column(stored_enum(StaffRole, "staff_role"))
    org_unit_id: Mapped[int] = mapped_column(ForeignKey("org_units.id"), index=True)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("people.id"))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    used_by_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
