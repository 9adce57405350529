"""Who may do what: the single access policy every handler goes through.

Staff act on tickets of the organisation units they belong to and everything
below them (a regional manager on every project of the region, HQ on all).
Residents see only tickets they filed or joined. Phone numbers are personal
data: only the ticket's assignee and managers above the project see them.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.i18n import N_
from bot.services.bound_groups import unit_of_group
from bot.services.errors import Refused
from bot.services.people import Actor, RoleGrant
from storage.models import OrgLevel, OrgUnit, StaffRole, Ticket, TicketFollower


class AccessDenied(Refused):
    """The actor has no right to this; ``code`` says which rule refused."""

    code = "access_denied"


class StaffOnly(AccessDenied):
    """Raised with ``code="no_role"`` for someone we do not know at all."""

    code = "not_staff"
    default_reason = N_("This is for staff only.")


class NotProjectStaff(AccessDenied):
    code = "not_project_staff"
    default_reason = N_("Only staff of this ticket's project can do that.")


class NotResidentsProjectStaff(NotProjectStaff):
    """A binding request decided by staff of another project; ``unit_binding.decide``
    writes the audit line itself (with the project)."""

    default_reason = N_("Only staff of this project can confirm its residents.")
    audited = False


class GroupNotBound(AccessDenied):
    code = "group_not_bound"
    default_reason = N_("This group is not a staff group.")


class GroupBoundElsewhere(AccessDenied):
    """Moving a group away from a unit needs a say over that unit too."""

    code = "group_bound_elsewhere"
    default_reason = N_(
        "This group already belongs to another unit; only its managers can move it."
    )


class NotInThisGroup(AccessDenied):
    code = "ticket_not_in_group"
    default_reason = N_("This ticket does not belong to this group.")


class NotOwnTicket(AccessDenied):
    code = "not_own_ticket"
    default_reason = N_("This is not one of your tickets.")


class NotTicketOwner(AccessDenied):
    code = "not_ticket_owner"
    default_reason = N_("Only the resident who filed a ticket can cancel it.")


# Managers only: one rule, one audit code. Each feature says it in its own words (users
# and tests tell them apart), so each wording is a subclass. The statistics and survey
# refusals are audited by their services (with the unit asked about), not a second time.
class NotAManager(AccessDenied):
    """Someone who manages no unit at all (binding a group, inviting staff)."""

    code = "not_manager"
    default_reason = N_("Only a manager or admin of a project, region or HQ can do that.")


class NotManagerOfUnit(NotAManager):
    code = "not_manager_of_unit"
    default_reason = N_("You are not a manager or admin of that unit.")


class StatisticsForManagers(NotAManager):
    default_reason = N_("Statistics are for managers only.")
    audited = False


class SurveysForManagers(NotAManager):
    default_reason = N_("Only managers can start or stop surveys there.")
    audited = False


class FollowupsForManagers(NotAManager):
    default_reason = N_("Only managers of this project can take a follow-up.")
    audited = False


# The levels of the organisation tree, widest first (the level is stored as text, whose
# order says nothing: "project" sorts before "region").
LEVEL_RANK = {OrgLevel.HQ: 0, OrgLevel.REGION: 1, OrgLevel.PROJECT: 2}


async def unit_chain(session: AsyncSession, org_unit_id: int) -> list[OrgUnit]:
    """The unit and its parents, nearest first: project → region → HQ."""
    chain: list[OrgUnit] = []
    current: int | None = org_unit_id
    while current is not None:
        unit = await session.get(OrgUnit, current)
        if unit is None:
            break
        chain.append(unit)
        current = unit.parent_id
    return chain


async def units_below(session: AsyncSession, org_unit_ids: set[int]) -> set[int]:
    """The given units and all their descendants (the tree has three levels)."""
    found = set(org_unit_ids)
    frontier = set(org_unit_ids)
    while frontier:
        children = set(
            (await session.scalars(select(OrgUnit.id).where(OrgUnit.parent_id.in_(frontier)))).all()
        )
        frontier = children - found
        found |= children
    return found


async def staff_project_ids(session: AsyncSession, actor: Actor) -> set[int]:
    """Every unit (projects included) the staff member may work in."""
    return await units_below(session, {g.org_unit_id for g in actor.roles})


def _grants_in(actor: Actor, chain: list[OrgUnit]) -> list[RoleGrant]:
    ids = {unit.id for unit in chain}
    return [g for g in actor.roles if g.org_unit_id in ids]


async def may_work_on(session: AsyncSession, actor: Actor, ticket: Ticket) -> bool:
    return bool(_grants_in(actor, await unit_chain(session, ticket.project_id)))


async def may_manage(session: AsyncSession, actor: Actor, org_unit_id: int) -> bool:
    """Manager or admin of this unit or of a unit above it."""
    return any(
        g.role in (StaffRole.MANAGER, StaffRole.ADMIN)
        for g in _grants_in(actor, await unit_chain(session, org_unit_id))
    )


async def may_see_phone(session: AsyncSession, actor: Actor, ticket: Ticket) -> bool:
    if actor.person_id is not None and actor.person_id == ticket.assignee_id:
        return True
    return await may_manage(session, actor, ticket.project_id)


async def is_resident_party(session: AsyncSession, actor: Actor, ticket: Ticket) -> bool:
    """The resident filed the ticket or joined it as a follower."""
    if actor.person_id is None:
        return False
    if ticket.resident_id == actor.person_id:
        return True
    follower = await session.get(TicketFollower, (ticket.id, actor.person_id))
    return follower is not None


# ------------------------------------------------------------------ the staff desk


@dataclass(frozen=True)
class Where:
    """Where a command or button was used: a private chat, or a group (bound or not)."""

    in_group: bool
    group_unit_id: int | None = None

    @classmethod
    def private(cls) -> Where:
        return cls(in_group=False)


async def where(session: AsyncSession, chat_id: int, chat_type: str) -> Where:
    if chat_type == "private":
        return Where.private()
    unit = await unit_of_group(session, chat_id)
    return Where(in_group=True, group_unit_id=unit.unit_id if unit else None)


def require_staff(actor: Actor | None) -> Actor:
    if actor is None or actor.person_id is None:
        raise StaffOnly(code="no_role")
    if not actor.is_staff:
        raise StaffOnly
    return actor


async def group_units(session: AsyncSession, place: Where) -> set[int] | None:
    """The units a group may see (``None``: a private chat, no limit)."""
    if not place.in_group:
        return None
    if place.group_unit_id is None:
        raise GroupNotBound
    return await units_below(session, {place.group_unit_id})


async def check_staff_on(
    session: AsyncSession, actor: Actor, ticket: Ticket, place: Where | None = None
) -> None:
    """Staff (see :func:`require_staff`) may act on this ticket: a role over its project
    and, used in a group, a ticket of that group. ``place`` None: not from a chat."""
    if place is not None:
        allowed = await group_units(session, place)
        if allowed is not None and ticket.project_id not in allowed:
            raise NotInThisGroup
    if not await may_work_on(session, actor, ticket):
        raise NotProjectStaff
