"""Who hears about deadlines, and how: routing up project → region → HQ, one batch at a time.

The sweep hands over everything due in one batch; :class:`Tidings` groups it per
chat. An escalation goes to the group of the level's unit (project, region, HQ); a
unit without a reachable group passes it one level up. A warning or reminder goes
to the assignee privately, else to the project's group. Per chat, a few tickets
come one message each; many (``[sla] digest_threshold``), or a catch-up after
downtime, come as one digest, so a group is never flooded.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.config.orgfile import Organisation
from bot.services.sla.notices import Deadline, DeadlinesMissed, DeadlinesNear
from storage.models import InactiveChat, OrgLevel, OrgUnit, Person, Ticket

# A first-level escalation this late was missed by the sweep (the bot was down).
CATCH_UP_AFTER = timedelta(minutes=15)
_TARGET_LEVELS = {"project": OrgLevel.PROJECT, "region": OrgLevel.REGION, "hq": OrgLevel.HQ}


@dataclass(frozen=True)
class Unit:
    id: int
    key: str
    name: str
    level: OrgLevel
    parent_id: int | None
    chat_id: int | None


async def load_units(session: AsyncSession) -> dict[int, Unit]:
    rows = (await session.scalars(select(OrgUnit).where(OrgUnit.active.is_(True)))).all()
    return {u.id: Unit(u.id, u.key, u.name, u.level, u.parent_id, u.group_chat_id) for u in rows}


async def load_people(session: AsyncSession, ids: set[int]) -> dict[int, Person]:
    if not ids:
        return {}
    rows = (await session.scalars(select(Person).where(Person.id.in_(ids)))).all()
    return {p.id: p for p in rows}


def chain(units: dict[int, Unit], unit_id: int | None) -> list[Unit]:
    """A unit and its parents: project → region → HQ."""
    found: list[Unit] = []
    while unit_id is not None and unit_id in units and len(found) < 8:
        found.append(units[unit_id])
        unit_id = units[unit_id].parent_id
    return found


def route(units: dict[int, Unit], project_id: int, target: str, inactive: set[int]) -> Unit | None:
    """The group an escalation for ``target`` reaches: that unit's, else the next one up."""
    levels = chain(units, project_id)
    wanted = _TARGET_LEVELS[target]
    start = next((i for i, u in enumerate(levels) if u.level is wanted), len(levels) - 1)
    for unit in levels[max(start, 0) :]:
        if unit.chat_id is not None and unit.chat_id not in inactive:
            return unit
    return None


async def group_above(
    session: AsyncSession, unit_id: int, refused_chat_id: int
) -> tuple[Unit, Unit] | None:
    """Where an escalation the group of ``unit_id`` refused (403) goes instead: the next
    unit up whose group has not refused. Returns ``(the refusing unit, the one above)``,
    or None when there is no one left above."""
    inactive = set((await session.scalars(select(InactiveChat.chat_id))).all())
    inactive.add(refused_chat_id)
    levels = chain(await load_units(session), unit_id)
    for unit in levels[1:]:
        if unit.chat_id is not None and unit.chat_id not in inactive:
            return levels[0], unit
    return None


@dataclass
class Tidings:
    """Everything one sweep batch has to say, collected per recipient chat."""

    org: Organisation
    units: dict[int, Unit]
    now: datetime
    inactive: set[int] = field(default_factory=set)
    people: dict[int, Person] = field(default_factory=dict)
    # chat → (ticket, ladder) → the highest level reached for it in this batch
    missed: dict[int, dict[tuple[int, str], Deadline]] = field(default_factory=dict)
    near: dict[int, list[Deadline]] = field(default_factory=dict)  # chat → warnings, reminders
    chat_units: dict[int, Unit] = field(default_factory=dict)
    chat_people: dict[int, int] = field(default_factory=dict)

    def escalate(
        self, ticket: Ticket, ladder: str, level: int, target: str, deadline: datetime
    ) -> Unit | None:
        """Queue an escalation; returns the group unit it goes to (None: nowhere to send)."""
        unit = route(self.units, ticket.project_id, target, self.inactive)
        if unit is None or unit.chat_id is None:
            return None
        items = self.missed.setdefault(unit.chat_id, {})
        current = items.get((ticket.id, ladder))
        if current is None or level > current.level:
            items[(ticket.id, ladder)] = Deadline(ticket.id, ladder, deadline, level)
        self.chat_units[unit.chat_id] = unit
        return unit

    def notify(self, ticket: Ticket, ladder: str, deadline: datetime) -> None:
        """A warning or reminder: to the assignee privately, else to the project group."""
        person = self.people.get(ticket.assignee_id) if ticket.assignee_id else None
        if person is not None and person.telegram_id and person.reachable:
            chat_id = person.telegram_id
            self.chat_people[chat_id] = person.id
        else:
            unit = route(self.units, ticket.project_id, "project", self.inactive)
            if unit is None or unit.chat_id is None:
                return
            chat_id = unit.chat_id
            self.chat_units[chat_id] = unit
        self.near.setdefault(chat_id, []).append(Deadline(ticket.id, ladder, deadline))

    def notices(self) -> Iterator[DeadlinesMissed | DeadlinesNear]:
        """One notice per chat: escalations first, then warnings and reminders."""
        threshold = self.org.sla.digest_threshold
        for chat_id, by_ticket in self.missed.items():
            items = tuple(sorted(by_ticket.values(), key=lambda i: (i.deadline, i.ticket_id)))
            digest = len(items) >= threshold or (len(items) > 1 and self._catching_up(items))
            yield DeadlinesMissed(self.chat_units[chat_id].id, items, digest)
        for chat_id, near in self.near.items():
            unit = self.chat_units.get(chat_id)
            yield DeadlinesNear(
                self.chat_people.get(chat_id),
                unit.id if unit is not None else None,
                tuple(near),
                len(near) >= threshold,
            )

    def _catching_up(self, items: tuple[Deadline, ...]) -> bool:
        """After downtime everything that fell due meanwhile comes as one digest."""
        return any(self.now - item.deadline > CATCH_UP_AFTER for item in items if item.level == 1)


def messages_in(notices: Iterable[DeadlinesMissed | DeadlinesNear]) -> int:
    """How many messages the notices make: a digest is one, else one per ticket."""
    return sum(1 if notice.digest else len(notice.items) for notice in notices)
