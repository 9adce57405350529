"""One-time invitations for staff: a manager makes a link, whoever opens it joins.

The link carries a random token; only its SHA-256 is stored. A token works
once (claimed with a conditional update, so two people opening it at once
cannot both join) and only until it expires.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.i18n import N_
from bot.services import audit
from bot.services.context import Context, Notice
from bot.services.errors import Refused
from bot.services.group_binding import choose_unit
from bot.services.people import Actor
from bot.services.roles import StaffProfileChanged
from storage.db import claim
from storage.models import OrgUnit, Person, StaffInvite, StaffMembership, StaffRole

INVITE_PREFIX = "inv_"
INVITE_VALIDITY = timedelta(days=3)
INVITABLE_ROLES = {"agent": StaffRole.AGENT, "manager": StaffRole.MANAGER}
_RANK = {StaffRole.AGENT: 1, StaffRole.MANAGER: 2, StaffRole.ADMIN: 3}


class InvalidInvite(Refused):
    """The link cannot be used. The service audits it with the opener's Telegram id: the
    refusal middleware would store the command's text, and the link is a secret."""

    code = "invite_unknown"
    default_reason = N_("This invitation link is not valid.")
    audited = False


class InviteUsed(InvalidInvite):
    code = "invite_used"
    default_reason = N_("This invitation link has already been used.")


class InviteExpired(InvalidInvite):
    code = "invite_expired"
    default_reason = N_("This invitation link has expired. Ask your manager for a new one.")


@dataclass(frozen=True)
class InviteAccepted(Notice):
    """Someone joined with an invitation: whoever made it is told."""

    invite_id: int
    person_id: int


@dataclass(frozen=True)
class CreatedInvite:
    token: str
    role: StaffRole
    unit_key: str
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
    return CreatedInvite(token, role, unit.key, unit.name, expires_at)


async def redeem_invite(
    session: AsyncSession,
    ctx: Context,
    telegram_id: int,
    full_name: str,
    telegram_language: str | None,
    token: str,
    *,
    opener: Actor | None = None,
) -> Joined:
    """Register the opener in the invitation's role and unit; the token is spent."""
    try:
        invite, unit = await _usable(session, ctx, token)
        return await _join(session, ctx, invite, unit, telegram_id, full_name, telegram_language)
    except InvalidInvite as invalid:
        data = {"telegram_id": telegram_id}
        await audit.refused(session, ctx.now, opener, "invite.redeem", invalid.code, data=data)
        raise


async def _usable(session: AsyncSession, ctx: Context, token: str) -> tuple[StaffInvite, OrgUnit]:
    invite = await session.scalar(
        select(StaffInvite).where(StaffInvite.token_hash == hash_token(token))
    )
    if invite is None:
        raise InvalidInvite
    if invite.used_at is not None:
        raise InviteUsed
    if invite.expires_at <= ctx.now:
        raise InviteExpired
    unit = await session.get(OrgUnit, invite.org_unit_id)
    if unit is None or not unit.active:
        raise InvalidInvite(code="invite_unit_inactive")
    return invite, unit


async def _join(
    session: AsyncSession,
    ctx: Context,
    invite: StaffInvite,
    unit: OrgUnit,
    telegram_id: int,
    full_name: str,
    telegram_language: str | None,
) -> Joined:
    now = ctx.now
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
    if not await claim(
        session,
        StaffInvite,
        StaffInvite.id == invite.id,
        StaffInvite.used_at.is_(None),
        used_at=now,
        used_by_id=person.id,
    ):
        raise InviteUsed
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
    await ctx.announce(session, InviteAccepted(invite.id, person.id))
    if person.telegram_id is not None:
        await ctx.announce(session, StaffProfileChanged(person.telegram_id))
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
