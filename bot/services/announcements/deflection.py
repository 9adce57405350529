"""Reports answered by a notice, and questions answered by the FAQ (self-service).

While an outage or incident notice is active for a category and a building, a resident
of that building who reports that category is shown the notice first: **OK** (nothing
filed: a report deflected) or **Still a problem** (filed as usual). Each showing is a
``SelfServiceEvent``; its outcome feeds the statistics.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import bindparam, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.services.announcements.drafts import ANSWERING_KINDS
from bot.services.context import Context
from bot.services.errors import StaleButton
from bot.services.resident_units import units_of
from storage.db import claim
from storage.models import (
    Announcement,
    SelfServiceEvent,
)

DEFLECTED = "deflected"
FAQ = "faq"
OK, FILED = "ok", "filed"  # outcomes after a notice
ANSWERED, HELP = "answered", "help"  # outcomes after a FAQ answer


@dataclass(frozen=True)
class ActiveNotice:
    """A notice that answers the resident's report, and the event of showing it."""

    announcement_id: int
    event_id: int


# Built once (the filing flow asks on each category chosen; building it cost as much CPU
# as running it).
_NOTICES_NOW = (
    select(Announcement)
    .where(
        Announcement.kind.in_([k.value for k in ANSWERING_KINDS]),
        Announcement.category_key == bindparam("category_key"),
        Announcement.withdrawn_at.is_(None),
        Announcement.deliver_at <= bindparam("now"),
        or_(Announcement.starts_at.is_(None), Announcement.starts_at <= bindparam("now")),
        or_(Announcement.ends_at.is_(None), Announcement.ends_at > bindparam("now")),
    )
    .order_by(Announcement.id.desc())
)


async def _buildings_of(session: AsyncSession, person_id: int) -> list[tuple[int, int]]:
    """``(building_id, project_id)`` of each of the resident's units (read once per
    session: the filing's next question lists the same units)."""
    return list(
        dict.fromkeys((u.building_id, u.project_id) for u in await units_of(session, person_id))
    )


async def active_notice_for(
    session: AsyncSession, ctx: Context, person_id: int, category_key: str | None
) -> ActiveNotice | None:
    """The newest active outage/incident notice of this category covering one of the
    resident's buildings (its window holds now; not withdrawn; already sent), shown
    now: recorded as a self-service event."""
    if category_key is None:
        return None
    places = await _buildings_of(session, person_id)
    if not places:
        return None
    found = await session.scalars(_NOTICES_NOW, {"category_key": category_key, "now": ctx.now})
    candidates = found.all()
    for announcement in candidates:
        for building_id, project_id in places:
            if project_id not in announcement.project_ids:
                continue
            if announcement.building_ids and building_id not in announcement.building_ids:
                continue
            event = SelfServiceEvent(
                kind=DEFLECTED,
                person_id=person_id,
                project_id=project_id,
                announcement_id=announcement.id,
                shown_at=ctx.now,
            )
            session.add(event)
            await session.flush()
            return ActiveNotice(announcement.id, event.id)
    return None


async def faq_shown(
    session: AsyncSession, ctx: Context, person_id: int, project_id: int | None, faq_key: str
) -> int:
    """Record that a FAQ answer was shown; returns the event's id (for its buttons)."""
    event = SelfServiceEvent(
        kind=FAQ, person_id=person_id, project_id=project_id, faq_key=faq_key, shown_at=ctx.now
    )
    session.add(event)
    await session.flush()
    return event.id


async def decide(
    session: AsyncSession, ctx: Context, person_id: int, event_id: int, outcome: str
) -> SelfServiceEvent:
    """The resident's answer to a notice or FAQ answer they were shown (once)."""
    if not await claim(
        session,
        SelfServiceEvent,
        SelfServiceEvent.id == event_id,
        SelfServiceEvent.person_id == person_id,
        SelfServiceEvent.outcome.is_(None),
        outcome=outcome,
        decided_at=ctx.now,
    ):
        raise StaleButton()
    event = await session.get(SelfServiceEvent, event_id, populate_existing=True)
    assert event is not None
    return event
