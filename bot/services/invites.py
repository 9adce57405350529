"""One-time invitations for staff: a manager makes a link, whoever opens it joins.

The link carries a random token; only its SHA-256 is stored. A token works
once (claimed with a conditional update, so two people opening it at once
cannot both join) and only until it expires.
"""

from __future__ import annotations

import hashlib
import html
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.i18n import N_, pick_locale, translate
from bot.services import audit, outbox
from bot.services.group_binding import choose_unit
from bot.services.people import Actor
from storage.models import OrgUnit, Person, StaffInvite, StaffMembership, StaffRole

INVITE_PREFIX = "inv_"
INVITE_VALIDITY = timedelta(days=3)
INVITABLE_ROLES = {"agent": StaffRole.AGENT, "manager": StaffRole.MANAGER}
_RANK = {StaffRole.AGENT: 1, StaffRole.MANAGER: 2, StaffRole.ADMIN: 3}

ROLE_NAMES = {
    StaffRole.AGENT: N_("agent"),
    StaffRole.MANAGER: N_("manager"),
    StaffRole.ADMIN: N_("admin"),
}
INVITE_USED = N_("{name} joined as {role} of {unit} with your invitation.")


class InvalidInvite(Exception):
    def __init__(self, code: str, reason: str) -> None:
        super().__init__(code)
        self.code = code
        self.reason = reason


UNKNOWN = N_("This invitation link is not valid.")
USED = N_("This invitation link has already been used.")
EXPIRED = N_("This invitation link has expired. Ask your manager for a new one.")


@dataclass(frozen=True)
class CreatedInvite:
    token: str
    role: StaffRole
    unit_name: str
    expires_at: datetime


@dataclass(frozen=True)
class Joined:
    role: StaffRole
    unit_name: str
    unit_key: str


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


async def create_invite(
    session: AsyncSession, now: datetime, actor: Actor, role_name: str, unit_key: str | None
) -> CreatedInvite:
    """A one-time link for ``role_name`` ("agent"/"manager") in a unit the actor manages."""
    role = INVITABLE_ROLES.get(role_name.strip().lower())
    if role is None:
        raise ValueError(role_name)
    unit = await choose_unit(session, actor, unit_key)
    token = secrets.token_urlsafe(18)  # 24 characters: the deep link allows 64
    expires_at = now + INVITE_VALIDITY
    assert actor.person_id is not None  # a manager is a person
    session.add(
        StaffInvite(
            token_hash=hash_token(token),
            role=role,
            org_unit_id=unit.id,
            created_by_id=actor.person_id,
            created_at=now,
            expires_at=expires_at,
        )
    )
    await audit.record(
        session, now, actor, "invite.create", org_unit_id=unit.id, data={"role": role.value}
    )
    return CreatedInvite(token, role, unit.name, expires_at)


async def redeem_invite(
    session: AsyncSession,
    now: datetime,
    telegram_id: int,
    full_name: str,
    telegram_language: str | None,
    token: str,
    default_locale: str,
) -> Joined:
    """Register the opener in the invitation's role and unit; the token is spent."""
    invite = await session.scalar(
        select(StaffInvite).where(StaffInvite.token_hash == hash_token(token))
    )
    if invite is None:
        raise InvalidInvite("invite_unknown", UNKNOWN)
    if invite.used_at is not None:
        raise InvalidInvite("invite_used", USED)
    if invite.expires_at <= now:
        raise InvalidInvite("invite_expired", EXPIRED)
    unit = await session.get(OrgUnit, invite.org_unit_id)
    if unit is None or not unit.active:
        raise InvalidInvite("invite_unit_inactive", UNKNOWN)
    person = await session.scalar(select(Person).where(Person.telegram_id == telegram_id))
    if person is None:
        person = Person(
            telegram_id=telegram_id,
            full_name=full_name,
            telegram_language=telegram_language,
            created_at=now,
            reachable=True,
        )
        session.add(person)
        await session.flush()
    claimed = await session.execute(
        update(StaffInvite)
        .where(StaffInvite.id == invite.id, StaffInvite.used_at.is_(None))
        .values(used_at=now, used_by_id=person.id)
        .execution_options(synchronize_session=False)
    )
    if claimed.rowcount != 1:
        raise InvalidInvite("invite_used", USED)
    person.full_name = person.full_name or full_name
    person.last_seen_at = now
    await _grant(session, person, unit, invite.role)
    await audit.record(
        session,
        now,
        None,
        "role.grant",
        org_unit_id=unit.id,
        subject_person_id=person.id,
        data={"role": invite.role.value, "invite_id": invite.id, "by": invite.created_by_id},
    )
    await _tell_inviter(session, invite, person, unit, now, default_locale)
    return Joined(invite.role, unit.name, unit.key)


async def _grant(session: AsyncSession, person: Person, unit: OrgUnit, role: StaffRole) -> None:
    membership = await session.scalar(
        select(StaffMembership).where(
            StaffMembership.person_id == person.id, StaffMembership.org_unit_id == unit.id
        )
    )
    if membership is None:
        session.add(
            StaffMembership(
                person_id=person.id, org_unit_id=unit.id, role=role, source="invite", active=True
            )
        )
    else:
        # An invitation never lowers a role someone already holds there.
        if not membership.active or _RANK[role] > _RANK[membership.role]:
            membership.role = role
        membership.active = True
    await session.flush()


async def _tell_inviter(
    session: AsyncSession,
    invite: StaffInvite,
    person: Person,
    unit: OrgUnit,
    now: datetime,
    default_locale: str,
) -> None:
    inviter = await session.get(Person, invite.created_by_id)
    if inviter is None or inviter.telegram_id is None or not inviter.reachable:
        return
    locale = pick_locale(inviter.language, inviter.telegram_language, default_locale)
    text = translate(
        locale,
        INVITE_USED,
        name=html.escape(person.full_name or str(person.telegram_id)),
        role=translate(locale, ROLE_NAMES[invite.role]),
        unit=html.escape(unit.name),
    )
    await outbox.enqueue_text(session, chat_id=inviter.telegram_id, text=text, now=now)
