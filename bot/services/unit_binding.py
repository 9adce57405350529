"""Binding to a unit by approval: the project's staff group confirms or refuses.

The request is posted to the project's staff group (through the outbox) with
Approve / Reject buttons; only staff of that project (or above it) may press
them, and the first decision wins.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import bindparam, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.i18n import N_
from bot.services import access, audit
from bot.services.context import Context, Notice
from bot.services.errors import Refused
from bot.services.people import Actor
from bot.services.resident_units import UnitLabel, bind, is_bound, label_query, unit_label
from storage.db import claim
from storage.models import BindingRequest, BindingStatus, OrgUnit, Person, PropertyUnit


class BindingError(Refused):
    """A resident's request (or a staff decision) that cannot be taken; not audited:
    these are ordinary mistakes and stale buttons."""

    code = "binding_refused"
    audited = False


@dataclass(frozen=True)
class RequestCard:
    """What staff see of a request: enough to compare with their records, no more."""

    request_id: int
    resident_name: str
    unit: str
    masked_phone: str


@dataclass(frozen=True)
class Decision:
    approved: bool
    card: RequestCard
    staff_name: str


@dataclass(frozen=True)
class BindingRequested(Notice):
    """A resident asks to be bound to a unit: the project's staff group is asked."""

    request_id: int


@dataclass(frozen=True)
class BindingDecided(Notice):
    """The staff decided: the resident is told."""

    request_id: int
    approved: bool


def mask_phone(phone: str | None) -> str:
    """Enough for staff to compare with their records, not enough to call."""
    if not phone:
        return "—"
    return phone[:4] + "****" + phone[-4:] if len(phone) > 8 else "****"


async def request_card(session: AsyncSession, request: BindingRequest) -> RequestCard:
    person = await session.get(Person, request.person_id)
    label = await unit_label(session, request.property_unit_id)
    assert person is not None and label is not None
    return RequestCard(request.id, person.full_name or "—", label.full, mask_phone(person.phone))


async def request_binding(
    session: AsyncSession, ctx: Context, person: Person, unit_id: int
) -> UnitLabel:
    label = await unit_label(session, unit_id)
    project = await session.get(OrgUnit, label.project_id) if label else None
    if label is None or project is None or not project.active:
        raise BindingError(N_("This unit does not exist."))
    if await is_bound(session, person.id, unit_id):
        raise BindingError(N_("You are already registered for this unit."))
    if project.group_chat_id is None:
        raise BindingError(
            N_(
                "This property cannot confirm units in the chat yet. "
                "Please ask its office for a unit code."
            )
        )
    pending = await session.scalar(
        select(BindingRequest.id).where(
            BindingRequest.person_id == person.id,
            BindingRequest.property_unit_id == unit_id,
            BindingRequest.status == BindingStatus.PENDING,
        )
    )
    if pending is not None:
        raise BindingError(
            N_("Your request for this unit is already waiting for the property office.")
        )
    request = BindingRequest(
        person_id=person.id,
        property_unit_id=unit_id,
        project_id=project.id,
        status=BindingStatus.PENDING,
        requested_at=ctx.now,
    )
    session.add(request)
    await session.flush()
    await ctx.announce(session, BindingRequested(request.id))
    return label


# The units a resident asked for and the office has not decided yet, in one statement.
_PENDING_UNITS = (
    label_query()
    .join(BindingRequest, BindingRequest.property_unit_id == PropertyUnit.id)
    .where(
        BindingRequest.person_id == bindparam("person_id"),
        BindingRequest.status == BindingStatus.PENDING,
    )
    .order_by(BindingRequest.id)
)


async def pending_requests(session: AsyncSession, person_id: int) -> list[UnitLabel]:
    rows = await session.execute(_PENDING_UNITS, {"person_id": person_id})
    return [UnitLabel(*row) for row in rows]


async def decide(
    session: AsyncSession, ctx: Context, actor: Actor, request_id: int, approve: bool
) -> Decision:
    request = await session.get(BindingRequest, request_id)
    if request is None:
        raise BindingError(N_("This request does not exist."))
    if request.project_id not in await access.staff_project_ids(session, actor):
        await audit.refused(
            session,
            ctx.now,
            actor,
            "unit_binding.decide",
            "not_project_staff",
            org_unit_id=request.project_id,
        )
        raise access.NotResidentsProjectStaff
    status = BindingStatus.APPROVED if approve else BindingStatus.REJECTED
    # The first decision wins, even when two staff press at the same moment.
    if not await claim(
        session,
        BindingRequest,
        BindingRequest.id == request_id,
        BindingRequest.status == BindingStatus.PENDING,
        status=status,
        decided_at=ctx.now,
        decided_by_id=actor.person_id,
    ):
        raise BindingError(N_("This request has already been decided."))
    if approve:
        await bind(session, request.person_id, request.property_unit_id, "approval", ctx.now)
    await audit.record(
        session,
        ctx.now,
        actor,
        f"unit_binding.{status.value}",
        org_unit_id=request.project_id,
        subject_person_id=request.person_id,
        data={"request_id": request.id, "unit_id": request.property_unit_id},
    )
    await ctx.announce(session, BindingDecided(request.id, approve))
    staff = await session.get(Person, actor.person_id) if actor.person_id else None
    staff_name = (staff.full_name if staff else None) or "—"
    return Decision(approve, await request_card(session, request), staff_name)
