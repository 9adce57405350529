"""Which units a resident is bound to, and the directory they choose from."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any, cast

from sqlalchemy import ColumnElement, CursorResult, Select, bindparam, delete, exists, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.config.orgfile import Organisation, display_name
from storage import transaction_memo
from storage.models import (
    Building,
    OrgLevel,
    OrgUnit,
    Person,
    PropertyUnit,
    ResidentUnit,
    StaffMembership,
)


@dataclass(frozen=True)
class UnitLabel:
    unit_id: int
    project_id: int
    project_name: str
    building_name: str
    unit_key: str
    project_key: str = ""
    building_key: str = ""
    building_id: int = 0

    def named_for(self, org: Organisation, locale: str) -> UnitLabel:
        """The same unit with the names people of ``locale`` read (``name_en`` for English)."""
        try:
            project = org.project(self.project_key)
        except KeyError:
            return self
        building = next((b for b in project.buildings if b.key == self.building_key), None)
        return replace(
            self,
            project_name=display_name(project, locale),
            building_name=display_name(building, locale) if building else self.building_name,
        )

    @property
    def short(self) -> str:
        return f"{self.building_name} {self.unit_key}"

    @property
    def full(self) -> str:
        return f"{self.project_name} {self.building_name} {self.unit_key}"


@dataclass(frozen=True)
class Choice:
    """Something to choose from a list: a project, a building or a unit (with, for the
    first two, their keys in the organisation file, which names them in other languages)."""

    id: int
    name: str
    key: str = ""
    project_key: str = ""


def label_query():
    """The columns of a :class:`UnitLabel`, from a unit with its building and project."""
    return (
        select(
            PropertyUnit.id,
            OrgUnit.id,
            OrgUnit.name,
            Building.name,
            PropertyUnit.key,
            OrgUnit.key,
            Building.key,
            Building.id,
        )
        .join(Building, PropertyUnit.building_id == Building.id)
        .join(OrgUnit, Building.project_id == OrgUnit.id)
    )


# Built once (building them cost more CPU than running them): a resident's units are
# read on most of their updates.
_UNIT_LABEL = label_query().where(PropertyUnit.id == bindparam("unit_id"))
_UNITS_OF = (
    label_query()
    .join(ResidentUnit, ResidentUnit.property_unit_id == PropertyUnit.id)
    .where(
        ResidentUnit.person_id == bindparam("person_id"),
        PropertyUnit.active.is_(True),
        OrgUnit.active.is_(True),
    )
    .order_by(ResidentUnit.id)
)


async def unit_label(session: AsyncSession, unit_id: int) -> UnitLabel | None:
    row = (await session.execute(_UNIT_LABEL, {"unit_id": unit_id})).first()
    return UnitLabel(*row) if row else None


_UNITS_READ = "resident_units"  # the transaction's memo: the units read, by person


async def units_of(session: AsyncSession, person_id: int) -> list[UnitLabel]:
    """The resident's active units, read at most once per transaction (filing asks for
    them at several steps of one update); :func:`bind`, :func:`unbind` and
    :func:`forget_units` make the next call read them again."""
    read: dict[int, list[UnitLabel]] = transaction_memo.memo(session, _UNITS_READ)
    if person_id not in read:
        rows = await session.execute(_UNITS_OF, {"person_id": person_id})
        read[person_id] = [UnitLabel(*row) for row in rows]
    return list(read[person_id])


def forget_units(session: AsyncSession, person_id: int) -> None:
    """The resident's units changed in this session: :func:`units_of` reads them again."""
    transaction_memo.forget(session, _UNITS_READ, person_id)


async def is_bound(session: AsyncSession, person_id: int, unit_id: int) -> bool:
    found = await session.scalar(
        select(ResidentUnit.id).where(
            ResidentUnit.person_id == person_id, ResidentUnit.property_unit_id == unit_id
        )
    )
    return found is not None


async def bind(
    session: AsyncSession, person_id: int, unit_id: int, via: str, now: datetime
) -> bool:
    """Bind the resident to the unit; False if they already were."""
    if await is_bound(session, person_id, unit_id):
        return False
    session.add(ResidentUnit(person_id=person_id, property_unit_id=unit_id, via=via, bound_at=now))
    forget_units(session, person_id)
    await session.flush()
    return True


async def unbind(session: AsyncSession, person_id: int, unit_id: int) -> bool:
    result = await session.execute(
        delete(ResidentUnit).where(
            ResidentUnit.person_id == person_id, ResidentUnit.property_unit_id == unit_id
        )
    )
    forget_units(session, person_id)
    return bool(cast(CursorResult[Any], result).rowcount)


# ------------------------------------------------------------------ the directory


# An active project with a ticket prefix: one that residents may file tickets with.
PROJECT_TAKES_TICKETS = (
    OrgUnit.level == OrgLevel.PROJECT,
    OrgUnit.active.is_(True),
    OrgUnit.ticket_prefix.is_not(None),
)


async def _choices(
    session: AsyncSession, columns: tuple[Any, ...], *where: ColumnElement[bool]
) -> list[Choice]:
    """The rows that match ``where``, as choices (id, label, keys…) in id order."""
    rows = await session.execute(select(*columns).where(*where).order_by(columns[0]))
    return [Choice(*row) for row in rows]


async def active_projects(session: AsyncSession) -> list[Choice]:
    return await _choices(session, (OrgUnit.id, OrgUnit.name, OrgUnit.key), *PROJECT_TAKES_TICKETS)


async def project_name(
    session: AsyncSession, project_id: int, org: Organisation | None = None, locale: str = ""
) -> str:
    """The project's name (in ``locale``'s reading when the organisation gives one)."""
    row = (
        await session.execute(select(OrgUnit.name, OrgUnit.key).where(OrgUnit.id == project_id))
    ).first()
    if row is None:
        return "—"
    if org is not None:
        try:
            return display_name(org.project(row.key), locale)
        except KeyError:
            pass
    return str(row.name)


async def buildings_of(session: AsyncSession, project_id: int) -> list[Choice]:
    return await _choices(
        session,
        (Building.id, Building.name, Building.key, OrgUnit.key),
        Building.project_id == project_id,
        Building.active.is_(True),
        OrgUnit.id == Building.project_id,
    )


async def project_of_building(session: AsyncSession, building_id: int) -> int | None:
    return await session.scalar(select(Building.project_id).where(Building.id == building_id))


async def units_in(session: AsyncSession, building_id: int) -> list[Choice]:
    return await _choices(
        session,
        (PropertyUnit.id, PropertyUnit.key),
        PropertyUnit.building_id == building_id,
        PropertyUnit.active.is_(True),
    )


async def find_unit(session: AsyncSession, building_id: int, key: str) -> Choice | None:
    wanted = key.strip().lower()
    for unit in await units_in(session, building_id):
        if unit.name.lower() == wanted:
            return unit
    return None


def reachable_residents(project_ids: Sequence[int], *extra: Any) -> Select[Any]:
    """The people bound to a unit of these projects whom the bot may write to (reachable,
    staff left out), once each, in id order: ``(person_id, telegram_id, language,
    telegram_language, *extra)``. Mailings (campaigns, notices) narrow it further."""
    is_staff = exists().where(
        StaffMembership.person_id == Person.id, StaffMembership.active.is_(True)
    )
    return (
        select(Person.id, Person.telegram_id, Person.language, Person.telegram_language, *extra)
        .join(ResidentUnit, ResidentUnit.person_id == Person.id)
        .join(PropertyUnit, PropertyUnit.id == ResidentUnit.property_unit_id)
        .join(Building, Building.id == PropertyUnit.building_id)
        .where(
            Building.project_id.in_(project_ids),
            Person.telegram_id.is_not(None),
            Person.reachable.is_(True),
            ~is_staff,
        )
        .group_by(Person.id, Person.telegram_id, Person.language, Person.telegram_language)
        .order_by(Person.id)
    )
