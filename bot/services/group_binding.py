"""Which Telegram group belongs to which organisation unit, and what follows from it.

A group is bound to a project, region or HQ by a manager or admin of that unit
(``/bindgroup``) or by the organisation file. The bot works only in bound
groups: anyone else's group is refused and left. Telegram's own group admin
status grants nothing here; only our roles count. Moving a unit that already has
a group to another one needs the manager's confirmation (the same manager, asked
again with buttons); the old group is then told, in the same transaction. When a
basic group becomes a supergroup its id changes, and the binding, the queued
messages and the cards of open tickets follow it.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.i18n import N_
from bot.services import access, audit, bound_groups, delivery_outcomes
from bot.services.access import GroupBoundElsewhere, NotAManager, NotManagerOfUnit
from bot.services.context import Context, Notice
from bot.services.errors import Refused
from bot.services.people import Actor
from bot.services.tickets.transitions import OPEN_STATUSES
from storage.models import OrgUnit, StaffRole, Ticket

MANAGER_ROLES = (StaffRole.MANAGER, StaffRole.ADMIN)
MAX_LISTED_UNITS = 30


class Admission(enum.Enum):
    BOUND = "bound"  # the group belongs to a unit: work here
    MAY_BIND = "may_bind"  # unbound, but the person who added us could bind it: wait
    REFUSED = "refused"  # unbound and nobody who could bind it is involved: leave


@dataclass(frozen=True)
class UnitChoice:
    key: str
    name: str


class ChooseUnit(Exception):
    """The manager manages several units: they must say which one."""

    def __init__(self, options: list[UnitChoice]) -> None:
        super().__init__("choose a unit")
        self.options = options


class UnknownUnit(Exception):
    def __init__(self, key: str, options: list[UnitChoice]) -> None:
        super().__init__(key)
        self.key = key
        self.options = options


class MoveNeedsConfirmation(Exception):
    """The unit already has a staff group: moving it here needs the manager's yes."""

    def __init__(self, unit: OrgUnit, bound_chat_id: int, replaces: OrgUnit | None) -> None:
        super().__init__("confirm the move")
        self.unit_id = unit.id
        self.unit_key, self.unit_name = unit.key, unit.name
        self.bound_chat_id = bound_chat_id  # the group the unit has now
        # this group's unit now, if another
        self.replaces = replaces.name if replaces is not None else None
        self.replaces_key = replaces.key if replaces is not None else ""


class NotYourConfirmation(Refused):
    """A move is confirmed or cancelled only by the manager who asked for it."""

    code = "not_your_confirmation"
    default_reason = N_("Only the manager who sent this /bindgroup can answer it.")


class BindingChanged(Refused):
    """The unit's group changed since the question was asked: ask again."""

    code = "binding_changed"
    default_reason = N_("The binding has changed since; send /bindgroup again.")
    audited = False


@dataclass(frozen=True)
class UnitMovedAway(Notice):
    """A unit's staff desk moved to another group: its old group is told."""

    unit_id: int
    old_chat_id: int
    old_thread_id: int | None
    moved_by_person_id: int | None


@dataclass(frozen=True)
class CardReposted(Notice):
    """The group moved (a new chat id): the open ticket's card is posted there anew."""

    ticket_id: int


@dataclass(frozen=True)
class Binding:
    unit_id: int
    unit_key: str
    unit_name: str
    thread_id: int | None
    previous_chat_id: int | None  # the group the unit used before, if another
    moved_from: str | None  # the unit this group served before, if another


async def unit_for_chat(session: AsyncSession, chat_id: int) -> OrgUnit | None:
    return await session.scalar(
        select(OrgUnit)
        .where(OrgUnit.group_chat_id == chat_id, OrgUnit.active.is_(True))
        .order_by(OrgUnit.id)
        .limit(1)
    )


async def admission(session: AsyncSession, actor: Actor | None, chat_id: int) -> Admission:
    """What to do in a group we were just added to (``actor``: who added us)."""
    if await unit_for_chat(session, chat_id) is not None:
        return Admission.BOUND
    if actor is not None and actor.is_manager:
        return Admission.MAY_BIND
    return Admission.REFUSED


async def manageable_units(session: AsyncSession, actor: Actor) -> list[OrgUnit]:
    """Every active unit the person is manager or admin of, directly or from above."""
    top = {g.org_unit_id for g in actor.roles if g.role in MANAGER_ROLES}
    if not top:
        return []
    ids = await access.units_below(session, top)
    return list(
        (
            await session.scalars(
                select(OrgUnit)
                .where(OrgUnit.id.in_(ids), OrgUnit.active.is_(True))
                .order_by(OrgUnit.level, OrgUnit.key)
            )
        ).all()
    )


def _choices(units: list[OrgUnit]) -> list[UnitChoice]:
    return [UnitChoice(u.key, u.name) for u in units[:MAX_LISTED_UNITS]]


async def choose_unit(session: AsyncSession, actor: Actor, unit_key: str | None) -> OrgUnit:
    """The unit a manager means: named, or the only one they manage directly.

    Raises NotAManager when they manage nothing, NotManagerOfUnit when not that unit,
    ChooseUnit or UnknownUnit when they must say (another) which.
    """
    units = await manageable_units(session, actor)
    if not units:
        raise NotAManager
    if unit_key:
        unit = await session.scalar(
            select(OrgUnit).where(OrgUnit.key == unit_key.strip(), OrgUnit.active.is_(True))
        )
        if unit is None:
            raise UnknownUnit(unit_key.strip(), _choices(units))
        if unit.id not in {u.id for u in units}:
            raise NotManagerOfUnit
        return unit
    direct = {g.org_unit_id for g in actor.roles if g.role in MANAGER_ROLES}
    if len(direct) == 1:
        return next(u for u in units if u.id in direct)
    raise ChooseUnit(_choices(units))


async def bind_group(
    session: AsyncSession,
    ctx: Context,
    actor: Actor,
    chat_id: int,
    thread_id: int | None,
    unit_key: str | None,
) -> Binding:
    """Bind the group (and forum topic, if any) to a unit the actor manages.

    Raises :class:`MoveNeedsConfirmation` when the unit has another group now: the
    move is made by :func:`confirm_move`.
    """
    unit = await choose_unit(session, actor, unit_key)
    return await _bind(session, ctx, actor, unit, chat_id, thread_id, confirmed_from=None)


async def confirm_move(
    session: AsyncSession,
    ctx: Context,
    actor: Actor,
    *,
    asked_by: int,
    unit_id: int,
    from_chat_id: int,
    chat_id: int,
    thread_id: int | None,
) -> Binding:
    """The manager who asked confirms moving the unit from ``from_chat_id`` to this group.

    Authorised again: only the asker, still a manager of the unit (and of the unit this
    group serves, if another); refused if the unit's group changed meanwhile.
    """
    if actor.telegram_id != asked_by:
        raise NotYourConfirmation
    unit = await session.get(OrgUnit, unit_id)
    if unit is None or not unit.active or not await access.may_manage(session, actor, unit.id):
        raise NotManagerOfUnit
    if unit.group_chat_id != from_chat_id:
        raise BindingChanged
    return await _bind(session, ctx, actor, unit, chat_id, thread_id, confirmed_from=from_chat_id)


async def cancel_move(
    session: AsyncSession, now: datetime, actor: Actor, *, asked_by: int, unit_id: int
) -> None:
    """The manager who asked keeps the unit where it is."""
    if actor.telegram_id != asked_by:
        raise NotYourConfirmation
    await audit.record(session, now, actor, "group.bind.cancelled", org_unit_id=unit_id)


async def _bind(
    session: AsyncSession,
    ctx: Context,
    actor: Actor,
    unit: OrgUnit,
    chat_id: int,
    thread_id: int | None,
    *,
    confirmed_from: int | None,
) -> Binding:
    current = await unit_for_chat(session, chat_id)
    replaces = current if current is not None and current.id != unit.id else None
    # Taking a group away from another unit needs a say over that unit too.
    if replaces is not None and not await access.may_manage(session, actor, replaces.id):
        raise GroupBoundElsewhere
    previous_chat_id = unit.group_chat_id if unit.group_chat_id != chat_id else None
    if previous_chat_id is not None and previous_chat_id != confirmed_from:
        raise MoveNeedsConfirmation(unit, previous_chat_id, replaces)
    moved_from = None
    if replaces is not None:
        replaces.group_chat_id = replaces.group_thread_id = None
        moved_from = replaces.key
    previous_thread_id = unit.group_thread_id
    unit.group_chat_id, unit.group_thread_id = chat_id, thread_id
    bound_groups.forget(session)
    await audit.record(
        session,
        ctx.now,
        actor,
        "group.bind",
        org_unit_id=unit.id,
        data={
            "chat_id": chat_id,
            "thread_id": thread_id,
            "previous_chat_id": previous_chat_id,
            "moved_from_unit": moved_from,
            "confirmed": confirmed_from is not None,
        },
    )
    if previous_chat_id is not None:
        await ctx.announce(
            session,
            UnitMovedAway(unit.id, previous_chat_id, previous_thread_id, actor.person_id),
        )
    return Binding(unit.id, unit.key, unit.name, thread_id, previous_chat_id, moved_from)


async def follow_migration(
    session: AsyncSession, ctx: Context, old_chat_id: int, new_chat_id: int
) -> int:
    """The group became a supergroup: move its binding and re-post open tickets' cards.

    Idempotent (Telegram sends two service messages, and the outbox sender may
    have noticed first). Returns how many cards were posted anew: the old cards
    cannot be edited in the new chat.
    """
    open_cards = (
        await session.scalars(
            select(Ticket)
            .where(Ticket.card_chat_id == old_chat_id, Ticket.status.in_(OPEN_STATUSES))
            .order_by(Ticket.id)
            # Both service messages may be handled at once: the second waits, then finds none.
            .with_for_update()
            .execution_options(populate_existing=True)
        )
    ).all()
    bound = await unit_for_chat(session, old_chat_id)
    await delivery_outcomes.group_migrated(session, old_chat_id, new_chat_id)
    for ticket in open_cards:
        ticket.card_chat_id = ticket.card_message_id = None
        await ctx.announce(session, CardReposted(ticket.id))
    if bound is not None or open_cards:
        await audit.record(
            session,
            ctx.now,
            None,
            "group.migrated",
            org_unit_id=bound.id if bound is not None else None,
            data={"from_chat_id": old_chat_id, "to_chat_id": new_chat_id},
        )
    return len(open_cards)


async def record_refused_group(
    session: AsyncSession, now: datetime, actor: Actor | None, chat_id: int, why: str
) -> None:
    await audit.refused(session, now, actor, "group.refuse", why, data={"chat_id": chat_id})
