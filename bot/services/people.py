"""Who is talking to us: resolving a Telegram user to a person and their roles."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import String, and_, bindparam, inspect, literal_column, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.i18n import SUPPORTED_LOCALES
from storage.models import FsmRecord, OrgLevel, OrgUnit, Person, StaffMembership, StaffRole


@dataclass(frozen=True)
class RoleGrant:
    role: StaffRole
    org_unit_id: int
    org_unit_key: str
    level: OrgLevel


@dataclass(frozen=True)
class Actor:
    """The sender of the current update, as the domain sees them."""

    telegram_id: int
    person_id: int | None
    chosen_language: str | None
    roles: tuple[RoleGrant, ...] = ()
    # False once Telegram refused a message to them (403: they blocked the bot).
    reachable: bool = True

    @property
    def is_staff(self) -> bool:
        return bool(self.roles)

    @property
    def is_manager(self) -> bool:
        return any(g.role in (StaffRole.MANAGER, StaffRole.ADMIN) for g in self.roles)

    @property
    def is_admin(self) -> bool:
        return any(g.role is StaffRole.ADMIN for g in self.roles)


_PEOPLE_KEY = "people_by_telegram_id"  # session.info: people loaded in this session


async def resolve_actor(session: AsyncSession, telegram_id: int) -> Actor:
    return (await load_actor(session, telegram_id))[1]


@dataclass(frozen=True)
class Conversation:
    """A stored conversation (aiogram's FSM record), as read with its sender."""

    state: str | None
    data: dict[str, Any]


# Built once: every update loads its sender. The person, and for each active role in an
# active unit the role and the unit's id, key and level, as plain columns: loading the
# roles and their units as objects (a joined eager load) cost that statement about a tenth
# more CPU for objects nobody used, and put them in the session for the commit to look over.
# The sender's conversation comes in the same statement (every update reads it too). All
# of it is joined to a row of its own, so that an unknown sender, a sender with no
# conversation, or both, still give one row.
_SENDER = (
    select(
        Person,
        StaffMembership.role,
        OrgUnit.id,
        OrgUnit.key,
        OrgUnit.level,
        FsmRecord.key,
        FsmRecord.state,
        FsmRecord.data,
    )
    .select_from(select(literal_column("1").label("one")).subquery("one"))
    .outerjoin(Person, Person.telegram_id == bindparam("telegram_id"))
    .outerjoin(
        StaffMembership,
        and_(StaffMembership.person_id == Person.id, StaffMembership.active.is_(True)),
    )
    .outerjoin(OrgUnit, and_(OrgUnit.id == StaffMembership.org_unit_id, OrgUnit.active.is_(True)))
    .outerjoin(FsmRecord, FsmRecord.key == bindparam("conversation", type_=String))
    .order_by(StaffMembership.id)
    # Roles granted earlier in this session (an invitation) count at once.
    .execution_options(populate_existing=True)
)


async def load_actor(session: AsyncSession, telegram_id: int) -> tuple[Person | None, Actor]:
    """The person with this Telegram id (None if unknown) and the actor they are, in one
    statement; the person is remembered by the session, so :func:`person_by_telegram_id`
    finds them without another."""
    person, actor, _ = await load_sender(session, telegram_id, None)
    return person, actor


async def load_sender(
    session: AsyncSession, telegram_id: int, conversation_key: str | None
) -> tuple[Person | None, Actor, Conversation | None]:
    """:func:`load_actor`, and in the same statement the conversation stored under
    ``conversation_key`` (None: there is none, or no key was given)."""
    parameters = {"telegram_id": telegram_id, "conversation": conversation_key}
    rows = (await session.execute(_SENDER, parameters)).all()
    person: Person | None = rows[0][0]
    _, _, _, _, _, stored_key, state, data = rows[0]
    conversation = None if stored_key is None else Conversation(state, data or {})
    session.info.setdefault(_PEOPLE_KEY, {})[telegram_id] = person
    if person is None:
        actor = Actor(telegram_id=telegram_id, person_id=None, chosen_language=None)
        return None, actor, conversation
    grants = tuple(
        RoleGrant(role, unit_id, unit_key, level)
        for _person, role, unit_id, unit_key, level, *_conversation in rows
        if unit_id is not None  # no role, or its unit is closed
    )
    actor = Actor(telegram_id, person.id, person.language, grants, reachable=person.reachable)
    return person, actor, conversation


async def person_by_telegram_id_or_new(
    session: AsyncSession, telegram_id: int, now: datetime
) -> Person:
    """The person with this Telegram id, added (id only) if we have never stored them."""
    person = await person_by_telegram_id(session, telegram_id)
    if person is None:
        person = Person(telegram_id=telegram_id, created_at=now, reachable=True)
        session.add(person)
    return person


async def person_by_telegram_id(session: AsyncSession, telegram_id: int) -> Person | None:
    known = session.info.get(_PEOPLE_KEY, {}).get(telegram_id)
    if known is not None and inspect(known).persistent:
        return known  # loaded with the actor in this session
    return await session.scalar(select(Person).where(Person.telegram_id == telegram_id))


async def set_language(
    session: AsyncSession, telegram_id: int, language: str, now: datetime
) -> Person:
    """Remember the language a person chose; it wins over Telegram's from now on.

    Only the Telegram id and the choice are stored: a person who has not
    registered yet has given no consent for anything more.
    """
    if language not in SUPPORTED_LOCALES:
        raise ValueError(f"unsupported language {language!r}")
    person = await person_by_telegram_id_or_new(session, telegram_id, now)
    person.language = language
    person.last_seen_at = now
    await session.flush()
    return person


LAST_SEEN_RESOLUTION = timedelta(hours=1)


def note_last_seen(person: Person, now: datetime, telegram_language: str | None = None) -> None:
    """:func:`touch_last_seen` for a person already loaded: nothing is written unless the
    stored time is over ``LAST_SEEN_RESOLUTION`` old (or the language changed)."""
    if person.last_seen_at is None or person.last_seen_at < now - LAST_SEEN_RESOLUTION:
        person.last_seen_at = now
    if telegram_language is not None and person.telegram_language != telegram_language:
        person.telegram_language = telegram_language
        person.last_seen_at = now


async def touch_last_seen(
    session: AsyncSession, person_id: int, now: datetime, telegram_language: str | None = None
) -> None:
    """Remember activity (retention counts inactivity from it); at most one write an hour,
    or when their Telegram app's language changed (messages sent to them later use it
    unless they chose one with /language)."""
    stale = or_(Person.last_seen_at.is_(None), Person.last_seen_at < now - LAST_SEEN_RESOLUTION)
    values: dict[str, object] = {"last_seen_at": now}
    if telegram_language is not None:
        stale = or_(stale, Person.telegram_language.is_distinct_from(telegram_language))
        values["telegram_language"] = telegram_language
    await session.execute(
        update(Person)
        .where(Person.id == person_id, stale)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
