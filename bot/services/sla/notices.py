"""What the SLA sweep tells people: deadlines missed (escalations) and deadlines near
(warnings, and reminders that a resident waits for an answer).

Each notice is everything one recipient hears from one sweep batch: the sweep groups
the tickets per chat and decides whether they come one message each or as one
digest (many at once, or a catch-up after downtime), so a group is never flooded.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.services.context import Notice


@dataclass(frozen=True)
class Deadline:
    """One ticket's deadline on one ladder (``response``, ``resolution``, ``update``)."""

    ticket_id: int
    ladder: str
    deadline: datetime
    level: int = 0  # escalations: the level reached


@dataclass(frozen=True)
class DeadlinesMissed(Notice):
    """Escalations for the staff group of ``unit_id`` (the level's unit, or the next
    one up whose group can be reached)."""

    unit_id: int
    items: tuple[Deadline, ...]
    digest: bool


@dataclass(frozen=True)
class TicketLate(Notice):
    """The response or the resolution the residents were promised (``ladder``) is late:
    they hear it from us, once per ladder, before they have to ask."""

    ticket_id: int
    ladder: str
    deadline: datetime


@dataclass(frozen=True)
class DeadlinesNear(Notice):
    """Warnings and reminders: for the assignee in private (``person_id``), else for
    the group of the ticket's project (``unit_id``, or the next one up)."""

    person_id: int | None
    unit_id: int | None
    items: tuple[Deadline, ...]
    digest: bool
