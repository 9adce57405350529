"""Per-staff figures (manual 1.2 and 7.1: periodic staff performance assessment).

A ticket belongs to its current assignee. *Handled* = tickets the person resolved
in the period; *on time* = of those, resolved by the resolution deadline; first
response = over first responses given in the period on their tickets; CSAT =
ratings given in the period on their tickets.
"""

from __future__ import annotations

from collections.abc import Hashable
from typing import SupportsInt, cast

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.services.stats.cohorts import Handled
from bot.services.stats.figures import Durations, Satisfaction, StaffRow
from storage.models import Person


async def staff_rows(
    session: AsyncSession,
    handled: dict[int, Handled],
    ratings: dict[tuple[int, int | None], Satisfaction],
    first_responses: dict[Hashable, Durations],
) -> list[StaffRow]:
    rows: dict[int, StaffRow] = {}

    def row_of(person_id: int) -> StaffRow:
        return rows.setdefault(person_id, StaffRow(person_id=person_id, name=""))

    for person_id, done in handled.items():
        staff = row_of(person_id)
        staff.handled, staff.on_time = done.tickets, done.on_time

    for assignee, durations in first_responses.items():
        if assignee is not None:
            row_of(int(cast(SupportsInt, assignee))).first_response = durations

    for (_project, rated), satisfaction in ratings.items():
        if rated is not None:
            staff = row_of(rated)
            staff.satisfaction = staff.satisfaction + satisfaction

    if rows:
        names = dict(
            (
                await session.execute(
                    select(Person.id, Person.full_name).where(Person.id.in_(rows))
                )
            ).all()
        )
        for person_id, staff in rows.items():
            staff.name = names.get(person_id) or f"#{person_id}"
    return sorted(rows.values(), key=lambda r: (-r.handled, -r.first_response.count, r.name))
