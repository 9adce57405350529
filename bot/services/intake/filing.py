"""Filing a ticket: who may, about which place, duplicates, and the final submission."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.config.orgfile import Organisation
from bot.i18n import N_
from bot.services.context import Context
from bot.services.errors import Refused, StaleButton
from bot.services.intake import categories
from bot.services.intake.drafts import Draft, clean_location
from bot.services.intake.matching import most_similar
from bot.services.resident_units import active_projects, project_name, units_of
from bot.services.tickets import lifecycle
from bot.services.tickets.transitions import OPEN_STATUSES
from storage.models import Person, Ticket, TicketFollower, TicketKind

# Repairs, complaints and suggestions are about a place the resident belongs to;
# anyone registered may ask a question.
KINDS_NEEDING_A_UNIT = frozenset({TicketKind.REPAIR, TicketKind.COMPLAINT, TicketKind.SUGGESTION})
# Where "a common area" needs words: "the lift in building 3".
KINDS_NEEDING_A_LOCATION = frozenset({TicketKind.REPAIR, TicketKind.COMPLAINT})
DUPLICATE_CANDIDATES = 200
# Six digits or more, as a phone number is written; not a ticket's number ("SG-000123").
_LONG_NUMBER = re.compile(r"(?<![A-Za-z0-9_-])\d{6,}")


NEEDS_UNIT = "needs_unit"


class FilingRefused(Refused):
    """Filing is not possible now (no unit yet, the daily limit): told, not audited."""

    code = "filing_refused"
    audited = False


class StaleChoice(FilingRefused):
    """A filing button whose choice is gone (a unit, a category, a duplicate): audited."""

    audited = True


@dataclass(frozen=True)
class PlaceOption:
    kind: str  # "unit" or "area"
    id: int  # a property unit id, or a project id for its common areas
    label: str


@dataclass(frozen=True)
class Duplicate:
    ticket_id: int
    number: str
    snippet: str
    affected: int


async def tickets_filed_since(session: AsyncSession, person_id: int, since: datetime) -> int:
    count = await session.scalar(
        select(func.count()).where(Ticket.resident_id == person_id, Ticket.created_at > since)
    )
    return int(count or 0)


async def why_not_file(
    session: AsyncSession, org: Organisation, person: Person, kind: TicketKind, now: datetime
) -> FilingRefused | None:
    """Why the resident may not file a ticket of this kind now (None: they may)."""
    if kind in KINDS_NEEDING_A_UNIT and not await units_of(session, person.id):
        return FilingRefused(
            N_(
                "To file this, first register your unit (apartment or shop): "
                "open your profile and choose “Add a unit”. Until then you can ask questions."
            ),
            code=NEEDS_UNIT,
        )
    limit = org.residents.max_tickets_per_day
    if await tickets_filed_since(session, person.id, now - timedelta(days=1)) >= limit:
        return FilingRefused(
            N_(
                "You have opened {limit} tickets in the last 24 hours, the most allowed. "
                "Please try again later, or add to one of your open tickets."
            ),
            code="daily_limit",
            limit=limit,
        )
    return None


async def check_can_file(
    session: AsyncSession, org: Organisation, person: Person, kind: TicketKind, now: datetime
) -> None:
    refused = await why_not_file(session, org, person, kind, now)
    if refused is not None:
        raise refused


async def place_options(
    session: AsyncSession,
    person: Person,
    kind: TicketKind,
    org: Organisation | None = None,
    locale: str = "",
) -> list[PlaceOption]:
    """The resident's units, then the common areas of their projects.

    Someone with no unit (only questions) chooses among all projects. With ``org``,
    the labels use the names people of ``locale`` read.
    """
    units = await units_of(session, person.id)
    if org is not None:
        units = [u.named_for(org, locale) for u in units]
    several_projects = len({u.project_id for u in units}) > 1
    options = [
        PlaceOption("unit", u.unit_id, u.full if several_projects else u.short) for u in units
    ]
    projects: dict[int, str] = {u.project_id: u.project_name for u in units}
    if not projects:
        projects = {p.id: p.name for p in await active_projects(session)}
        if org is not None:
            projects = {pid: await project_name(session, pid, org, locale) for pid in projects}
    options += [PlaceOption("area", project_id, name) for project_id, name in projects.items()]
    return options


async def choose_place(
    session: AsyncSession, person: Person, draft: Draft, kind: str, option_id: int
) -> None:
    """Set the draft's unit or common area, if the resident may choose it."""
    for option in await place_options(session, person, draft.ticket_kind):
        if option.kind == kind and option.id == option_id:
            break
    else:
        raise StaleChoice(N_("This choice is no longer available."), code="stale_place")
    if kind == "unit":
        unit = next(u for u in await units_of(session, person.id) if u.unit_id == option_id)
        draft.unit_id, draft.project_id, draft.location_text = unit.unit_id, unit.project_id, None
    else:
        draft.unit_id, draft.project_id = None, option_id
    draft.place_chosen = True


def choose_category(org: Organisation, draft: Draft, key: str | None) -> None:
    """A category from the buttons (None: "Other"); one not offered for the kind is stale."""
    if key is not None and key not in {c.key for c in categories.categories_for(org, draft.kind)}:
        raise StaleButton()
    draft.category_key, draft.category_chosen = key, True


def category_typed(org: Organisation, draft: Draft, text: str) -> bool:
    """Typing instead of pressing: accepted if it clearly names one category."""
    guesses = categories.guess(org, text, draft.kind)
    if guesses:
        draft.category_key, draft.category_chosen = guesses[0].key, True
    return bool(guesses)


async def place_typed(session: AsyncSession, person: Person, draft: Draft, text: str) -> bool:
    """Typing a place instead of pressing a button: a common area, if it can only be one."""
    options = await place_options(session, person, draft.ticket_kind)
    areas = [o for o in options if o.kind == "area"]
    if len(areas) != 1:
        return False
    draft.location_text = clean_location(text)
    draft.unit_id, draft.project_id, draft.place_chosen = None, areas[0].id, True
    return True


def needs_location_text(draft: Draft) -> bool:
    return draft.unit_id is None and draft.ticket_kind in KINDS_NEEDING_A_LOCATION


def snippet(text: str, limit: int = 60) -> str:
    """A neighbour's words, short, with anything like a phone number hidden."""
    masked = _LONG_NUMBER.sub("••••", " ".join(text.split()))
    return masked if len(masked) <= limit else masked[: limit - 1] + "…"


async def find_duplicates(
    session: AsyncSession, org: Organisation, person_id: int, draft: Draft
) -> list[Duplicate]:
    """Open tickets of the same project and category that read like this draft.

    Only tickets about common areas (or the resident's own unit) are offered:
    nobody joins, or even hears about, a problem inside a neighbour's home.
    """
    if draft.project_id is None:
        return []
    followed = select(TicketFollower.ticket_id).where(TicketFollower.person_id == person_id)
    query = (
        select(Ticket)
        .where(
            Ticket.project_id == draft.project_id,
            Ticket.status.in_(OPEN_STATUSES),
            Ticket.resident_id != person_id,
            Ticket.id.not_in(followed),
        )
        .order_by(Ticket.id.desc())
        .limit(DUPLICATE_CANDIDATES)
    )
    if draft.category_key is None:
        query = query.where(Ticket.category_key.is_(None))
    else:
        query = query.where(Ticket.category_key == draft.category_key)
    if draft.unit_id is None:
        query = query.where(Ticket.property_unit_id.is_(None))
    else:
        query = query.where(
            (Ticket.property_unit_id.is_(None)) | (Ticket.property_unit_id == draft.unit_id)
        )
    tickets = {t.id: t for t in (await session.scalars(query)).all()}
    texts = [
        (t.id, " ".join(p for p in (t.location_text, t.description) if p)) for t in tickets.values()
    ]
    similar = most_similar(draft.matching_text, texts, org.residents.duplicate_threshold)
    return [
        Duplicate(
            s.ref,
            tickets[s.ref].number,
            snippet(tickets[s.ref].description),
            tickets[s.ref].affected_count,
        )
        for s in similar
    ]


def _check_draft(org: Organisation, draft: Draft) -> None:
    if draft.project_id is None or not draft.description:
        raise FilingRefused(N_("This request is not complete yet."), code="incomplete")
    if draft.category_key is not None:
        try:
            category = org.category(draft.category_key)
        except KeyError:
            category = None
        if category is None or not category.accepts(draft.kind):
            raise StaleChoice(N_("This category is no longer available."), code="stale_category")
    if draft.urgent and not categories.urgent_allowed(org, draft.category_key):
        draft.urgent = False


async def submit(session: AsyncSession, ctx: Context, person: Person, draft: Draft) -> Ticket:
    await check_can_file(session, ctx.org, person, draft.ticket_kind, ctx.now)
    _check_draft(ctx.org, draft)
    # The unit or common area must still be the resident's to choose.
    if draft.unit_id is not None:
        await choose_place(session, person, draft, "unit", draft.unit_id)
    elif draft.project_id is not None:
        await choose_place(session, person, draft, "area", draft.project_id)
    assert draft.project_id is not None
    return await lifecycle.create_ticket(
        session, ctx, person, draft.to_ticket_draft(draft.project_id)
    )


async def join_duplicate(
    session: AsyncSession, ctx: Context, person: Person, draft: Draft, ticket_id: int
) -> Ticket:
    """Follow a neighbour's ticket instead of filing the same problem again."""
    offered = await find_duplicates(session, ctx.org, person.id, draft)
    if ticket_id not in {d.ticket_id for d in offered}:
        raise StaleChoice(N_("This ticket can no longer be joined."), code="stale_duplicate")
    return await lifecycle.join_as_follower(session, ctx, ticket_id, person)
