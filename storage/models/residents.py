"""Residents and their units: bindings, one-time unit codes and binding requests."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import BigInteger, Boolean, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from storage.models.base import Base, BigIntPk, stored_enum
from storage.types import UtcDateTime


class ResidentUnit(Base):
    """A resident lives or works in a unit; they may file tickets about it."""

    __tablename__ = "resident_units"
    __table_args__ = (UniqueConstraint("person_id", "property_unit_id"),)

    id: Mapped[int] = mapped_column(BigIntPk, primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"), index=True)
    property_unit_id: Mapped[int] = mapped_column(ForeignKey("property_units.id"), index=True)
    via: Mapped[str] = mapped_column(String(16))  # "code" or "approval"
    bound_at: Mapped[datetime] = mapped_column(UtcDateTime)


class UnitCode(Base):
    """A one-time code that binds whoever redeems it to a unit.

    The code is ``selector + verifier``: the selector finds the row, the
    verifier is only stored as a salted slow hash, so a copy of the database
    does not reveal usable codes.
    """

    __tablename__ = "unit_codes"

    id: Mapped[int] = mapped_column(BigIntPk, primary_key=True)
    selector: Mapped[str] = mapped_column(String(16), unique=True)
    salt: Mapped[str] = mapped_column(String(64))
    verifier_hash: Mapped[str] = mapped_column(String(128))
    property_unit_id: Mapped[int] = mapped_column(ForeignKey("property_units.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    used_by_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))


class UnitCodeAttempt(Base):
    """One try at a unit code, kept to rate-limit guessing."""

    __tablename__ = "unit_code_attempts"
    __table_args__ = (Index("ix_unit_code_attempts_who_at", "telegram_id", "at"),)

    id: Mapped[int] = mapped_column(BigIntPk, primary_key=True)
    telegram_id: Mapped[int] = mapped_column(BigInteger)
    at: Mapped[datetime] = mapped_column(UtcDateTime)
    succeeded: Mapped[bool] = mapped_column(Boolean, default=False)


class BindingStatus(enum.StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"


class BindingRequest(Base):
    """A resident asks the project office to confirm they belong to a unit."""

    __tablename__ = "unit_binding_requests"
    __table_args__ = (Index("ix_unit_binding_requests_person_status", "person_id", "status"),)

    id: Mapped[int] = mapped_column(BigIntPk, primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"))
    property_unit_id: Mapped[int] = mapped_column(ForeignKey("property_units.id"))
    project_id: Mapped[int] = mapped_column(ForeignKey("org_units.id"), index=True)
    status: Mapped[BindingStatus] = mapped_column(stored_enum(BindingStatus, "binding_status"))
    requested_at: Mapped[datetime] = mapped_column(UtcDateTime)
    decided_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
