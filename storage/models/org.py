"""The organisation: HQ → regional centres → projects, and the buildings and
units (apartments, shops) of each project."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    ForeignKey,
    Integer,
    String,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from storage.models.base import Base, BigIntPk, stored_enum
from storage.vocabulary import OrgLevel, ProjectKind, UnitKind


class OrgUnit(Base):
    """One node of the three-level organisation; each has its own staff group."""

    __tablename__ = "org_units"

    id: Mapped[int] = mapped_column(BigIntPk, primary_key=True)
    key: Mapped[str] = mapped_column(String(64), unique=True)
    level: Mapped[OrgLevel] = mapped_column(stored_enum(OrgLevel, "org_level"))
    name: Mapped[str] = mapped_column(String(200))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("org_units.id"), index=True)
    project_kind: Mapped[ProjectKind | None] = mapped_column(
        stored_enum(ProjectKind, "project_kind")
    )
    ticket_prefix: Mapped[str | None] = mapped_column(String(8), unique=True)
    timezone: Mapped[str | None] = mapped_column(String(64))
    group_chat_id: Mapped[int | None] = mapped_column(BigInteger, index=True)
    # The group named in the organisation file when it was last synced: a binding made in
    # chat (/bindgroup, a supergroup migration) is kept until the file names another group.
    config_group_chat_id: Mapped[int | None] = mapped_column(BigInteger)
    group_thread_id: Mapped[int | None] = mapped_column(BigInteger)
    # The group is a forum (Telegram "Topics"), as last seen in an update or a delivery:
    # each ticket then gets its own topic, unless the group was bound in one topic.
    group_is_forum: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    next_ticket_number: Mapped[int] = mapped_column(Integer, default=1)
    active: Mapped[bool] = mapped_column(Boolean, default=True)

    parent: Mapped[OrgUnit | None] = relationship(remote_side="OrgUnit.id")
    buildings: Mapped[list[Building]] = relationship(back_populates="project")


class Building(Base):
    __tablename__ = "buildings"
    __table_args__ = (UniqueConstraint("project_id", "key"),)

    id: Mapped[int] = mapped_column(BigIntPk, primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("org_units.id"), index=True)
    key: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(200))
    active: Mapped[bool] = mapped_column(Boolean, default=True)

    project: Mapped[OrgUnit] = relationship(back_populates="buildings")
    units: Mapped[list[PropertyUnit]] = relationship(back_populates="building")


class PropertyUnit(Base):
    """An apartment, shop or office that residents bind to."""

    __tablename__ = "property_units"
    __table_args__ = (UniqueConstraint("building_id", "key"),)

    id: Mapped[int] = mapped_column(BigIntPk, primary_key=True)
    building_id: Mapped[int] = mapped_column(ForeignKey("buildings.id"), index=True)
    key: Mapped[str] = mapped_column(String(64))
    floor: Mapped[int | None] = mapped_column(Integer)
    unit_kind: Mapped[str] = mapped_column(String(32), default=UnitKind.APARTMENT.value)
    active: Mapped[bool] = mapped_column(Boolean, default=True)

    building: Mapped[Building] = relationship(back_populates="units")
