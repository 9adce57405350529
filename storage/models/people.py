"""Residents and staff: one ``Person`` per Telegram user, with staff roles per
organisation unit."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Boolean, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship, validates

from storage.crypto import EncryptedText, cipher, normalise_phone
from storage.models.base import Base, BigIntPk, stored_enum
from storage.models.org import OrgUnit
from storage.types import UtcDateTime
from storage.vocabulary import StaffRole


class Person(Base):
    __tablename__ = "people"

    id: Mapped[int] = mapped_column(BigIntPk, primary_key=True)
    # Nullable so an erased person keeps their anonymous tickets but loses the link.
    telegram_id: Mapped[int | None] = mapped_column(BigInteger, unique=True)
    full_name: Mapped[str | None] = mapped_column(String(200))
    # Encrypted at rest; ``phone_index`` (a keyed hash) makes it searchable.
    phone: Mapped[str | None] = mapped_column(EncryptedText)
    phone_index: Mapped[str | None] = mapped_column(String(64), index=True)
    # Language the person chose with /language; None = follow Telegram's language_code.
    language: Mapped[str | None] = mapped_column(String(16))  # a Language
    telegram_language: Mapped[str | None] = mapped_column(String(16))
    segment: Mapped[str | None] = mapped_column(String(32))  # a Segment
    consent_version: Mapped[str | None] = mapped_column(String(32))
    consented_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    # False once Telegram answered 403 (blocked the bot / left the chat).
    reachable: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    last_seen_at: Mapped[datetime | None] = mapped_column(UtcDateTime, index=True)
    # Set when the person's data was erased (/forgetme, withdrawn consent, retention).
    erased_at: Mapped[datetime | None] = mapped_column(UtcDateTime)

    roles: Mapped[list[StaffMembership]] = relationship(back_populates="person")

    @validates("phone")
    def _index_phone(self, _key: str, phone: str | None) -> str | None:
        self.phone_index = cipher().blind_index(normalise_phone(phone)) if phone else None
        return phone


class StaffMembership(Base):
    """A staff role held in one organisation unit (project, region or HQ)."""

    __tablename__ = "staff_memberships"
    __table_args__ = (UniqueConstraint("person_id", "org_unit_id"),)

    id: Mapped[int] = mapped_column(BigIntPk, primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"), index=True)
    org_unit_id: Mapped[int] = mapped_column(ForeignKey("org_units.id"), index=True)
    role: Mapped[StaffRole] = mapped_column(stored_enum(StaffRole, "staff_role"))
    # "config" rows are owned by the organisation file and re-synced; "invite" rows are not.
    source: Mapped[str] = mapped_column(String(16), default="config")
    active: Mapped[bool] = mapped_column(Boolean, default=True)

    person: Mapped[Person] = relationship(back_populates="roles")
    org_unit: Mapped[OrgUnit] = relationship()
