"""The directory of places and people, kept in step with the organisation file.

Syncing never deletes: units, buildings, flats and staff roles that left the
file are deactivated, because tickets and history still point at them.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TypeVar

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.config.orgfile import Organisation, Project
from bot.services import bound_groups
from storage.models import (
    Building,
    OrgLevel,
    OrgUnit,
    Person,
    ProjectKind,
    PropertyUnit,
    StaffMembership,
    StaffRole,
)

Row = TypeVar("Row")
Key = TypeVar("Key", bound=Hashable)


@dataclass
class SyncReport:
    org_units: int = 0
    buildings: int = 0
    property_units: int = 0
    staff: int = 0
    deactivated: list[str] = field(default_factory=list)

    def summary(self) -> str:
        text = (
            f"{self.org_units} organisation units, {self.buildings} buildings, "
            f"{self.property_units} units, {self.staff} staff roles"
        )
        if self.deactivated:
            text += f"; deactivated: {', '.join(self.deactivated)}"
        return text


async def _indexed(
    session: AsyncSession, statement: Select[Row], key: Callable[[Row], Key]
) -> dict[Key, Row]:
    """What is stored already: the rows ``statement`` selects, by their key in the file."""
    return {key(row): row for row in (await session.scalars(statement)).all()}


async def sync_organisation(session: AsyncSession, org: Organisation, now: datetime) -> SyncReport:
    report = SyncReport()
    units = await _indexed(session, select(OrgUnit), lambda u: u.key)
    seen: set[str] = set()

    def upsert_unit(
        key: str, level: OrgLevel, name: str, parent: OrgUnit | None, group_chat_id: int | None
    ) -> OrgUnit:
        unit = units.get(key)
        if unit is None:
            unit = OrgUnit(key=key, level=level, next_ticket_number=1)
            session.add(unit)
            units[key] = unit
        unit.level, unit.name, unit.parent, unit.active = level, name, parent, True
        # The file's group applies when the file changes it; a group bound in chat
        # (/bindgroup) or followed through a supergroup migration is kept across restarts.
        if group_chat_id and group_chat_id != unit.config_group_chat_id:
            unit.group_chat_id = group_chat_id
            unit.config_group_chat_id = group_chat_id
        seen.add(key)
        report.org_units += 1
        return unit

    hq = upsert_unit(org.hq.key, OrgLevel.HQ, org.hq.name, None, org.hq.group_chat_id)
    regions = {
        r.key: upsert_unit(r.key, OrgLevel.REGION, r.name, hq, r.group_chat_id) for r in org.regions
    }
    for spec in org.projects:
        project = upsert_unit(
            spec.key, OrgLevel.PROJECT, spec.name, regions[spec.region], spec.group_chat_id
        )
        project.project_kind = ProjectKind(spec.kind)
        project.ticket_prefix = spec.ticket_prefix
        project.timezone = spec.timezone
        await session.flush()
        await _sync_buildings(session, project, spec, report)

    for key, unit in units.items():
        if key not in seen and unit.active:
            unit.active = False
            report.deactivated.append(key)
    await session.flush()
    await _sync_staff(session, org, units, now, report)
    await session.flush()
    bound_groups.forget(session)  # groups may have moved, units gone
    return report


async def _sync_buildings(
    session: AsyncSession, project: OrgUnit, spec: Project, report: SyncReport
) -> None:
    existing = await _indexed(
        session, select(Building).where(Building.project_id == project.id), lambda b: b.key
    )
    wanted = set()
    for building_spec in spec.buildings:
        building = existing.get(building_spec.key)
        if building is None:
            building = Building(
                project_id=project.id, key=building_spec.key, name=building_spec.name
            )
            session.add(building)
            await session.flush()
        building.name, building.active = building_spec.name, True
        wanted.add(building_spec.key)
        report.buildings += 1
        flats = await _indexed(
            session,
            select(PropertyUnit).where(PropertyUnit.building_id == building.id),
            lambda u: u.key,
        )
        wanted_flats = set()
        for unit_spec in building_spec.units:
            flat = flats.get(unit_spec.key)
            if flat is None:
                flat = PropertyUnit(building_id=building.id, key=unit_spec.key)
                session.add(flat)
            flat.floor, flat.unit_kind, flat.active = unit_spec.floor, unit_spec.kind, True
            wanted_flats.add(unit_spec.key)
            report.property_units += 1
        for key, flat in flats.items():
            if key not in wanted_flats:
                flat.active = False
    for key, building in existing.items():
        if key not in wanted:
            building.active = False


async def _sync_staff(
    session: AsyncSession,
    org: Organisation,
    units: dict[str, OrgUnit],
    now: datetime,
    report: SyncReport,
) -> None:
    people = await _indexed(
        session,
        select(Person).where(Person.telegram_id.in_([s.telegram_id for s in org.staff])),
        lambda p: p.telegram_id,
    )
    memberships = await _indexed(
        session,
        select(StaffMembership).where(StaffMembership.source == "config"),
        lambda m: (m.person_id, m.org_unit_id),
    )
    kept: set[tuple[int, int]] = set()
    for spec in org.staff:
        person = people.get(spec.telegram_id)
        if person is None:
            person = Person(telegram_id=spec.telegram_id, created_at=now, reachable=True)
            session.add(person)
            people[spec.telegram_id] = person
        person.full_name = spec.name
        await session.flush()
        unit = units[spec.unit]
        membership = memberships.get((person.id, unit.id))
        if membership is None:
            membership = await session.scalar(
                select(StaffMembership).where(
                    StaffMembership.person_id == person.id, StaffMembership.org_unit_id == unit.id
                )
            )
        if membership is None:
            membership = StaffMembership(person_id=person.id, org_unit_id=unit.id)
            session.add(membership)
        membership.role, membership.source, membership.active = StaffRole(spec.role), "config", True
        kept.add((person.id, unit.id))
        report.staff += 1
    for key, membership in memberships.items():
        if key not in kept and membership.active:
            membership.active = False
            report.deactivated.append(f"staff role {key}")
