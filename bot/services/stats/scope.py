"""Whose figures a manager may see: their own unit and everything below it.

A project manager sees their project, a regional manager their region, HQ
everything. The default scope is the highest unit the manager manages; asking
for a unit outside it is refused and written to the audit log.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.i18n import N_
from bot.services import audit
from bot.services.access import (
    LEVEL_RANK,
    AccessDenied,
    StatisticsForManagers,
    may_manage,
    units_below,
)
from bot.services.errors import Refused
from bot.services.people import Actor
from storage.models import OrgLevel, OrgUnit, StaffRole


@dataclass(frozen=True)
class StatsScope:
    unit_id: int
    unit_key: str
    level: OrgLevel
    name: str
    project_ids: tuple[int, ...]

    @property
    def has_many_projects(self) -> bool:
        return self.level is not OrgLevel.PROJECT


# Scopes are audited in resolve_scope itself (with the scope asked for), so the refusal
# middleware does not write a second line.
class BeyondScope(AccessDenied):
    code = "beyond_scope"
    default_reason = N_("You can only see statistics of your own units: {units}.")
    audited = False


class UnknownScope(Refused):
    """A key (or name) that names no unit: a typing mistake, not audited."""

    code = "unknown_scope"
    default_reason = N_("There is no project or region “{key}”.")
    audited = False

    def __init__(self, key: str) -> None:
        super().__init__(key=key)
        self.key = key


async def scope_of_unit(session: AsyncSession, unit: OrgUnit) -> StatsScope:
    below = await units_below(session, {unit.id})
    project_ids = (
        await session.scalars(
            select(OrgUnit.id)
            .where(OrgUnit.id.in_(below), OrgUnit.level == OrgLevel.PROJECT)
            .order_by(OrgUnit.id)
        )
    ).all()
    return StatsScope(unit.id, unit.key, unit.level, unit.name, tuple(project_ids))


async def resolve_scope(
    session: AsyncSession, actor: Actor, requested_key: str | None, now: datetime, *, action: str
) -> StatsScope:
    """The scope a manager asked for (or their own), refusing anything beyond it.

    Refuses (and audits) non-managers and scopes above or beside the manager's own;
    refuses a key that names nothing.
    """
    grants = [g for g in actor.roles if g.role in (StaffRole.MANAGER, StaffRole.ADMIN)]
    if not grants:
        await audit.refused(session, now, actor, action, "not a manager")
        raise StatisticsForManagers
    if requested_key is None:
        own = min(grants, key=lambda g: LEVEL_RANK[g.level])
        unit = await session.get(OrgUnit, own.org_unit_id)
        assert unit is not None
        return await scope_of_unit(session, unit)
    unit = await session.scalar(select(OrgUnit).where(OrgUnit.key == requested_key))
    if unit is None:  # the exact name works too ("阳光花园")
        unit = await session.scalar(
            select(OrgUnit).where(OrgUnit.name == requested_key).order_by(OrgUnit.id).limit(1)
        )
    if unit is None:
        raise UnknownScope(requested_key)
    if not await may_manage(session, actor, unit.id):
        await audit.refused(
            session,
            now,
            actor,
            action,
            "scope beyond own units",
            org_unit_id=unit.id,
            data={"requested": requested_key},
        )
        raise BeyondScope(units=", ".join(_own_unit_keys(actor)))
    return await scope_of_unit(session, unit)


def _own_unit_keys(actor: Actor) -> list[str]:
    return [g.org_unit_key for g in actor.roles if g.role in (StaffRole.MANAGER, StaffRole.ADMIN)]
