"""Helpers to set up an organisation and people for ticket tests."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.config.orgfile import Organisation
from bot.services.directory import sync_organisation
from bot.services.people import Actor, resolve_actor
from storage.models import OrgUnit, Person


async def setup_org(session: AsyncSession, org: Organisation, now: datetime) -> None:
    await sync_organisation(session, org, now)


async def project_id(session: AsyncSession, key: str) -> int:
    return (await session.scalar(select(OrgUnit.id).where(OrgUnit.key == key))) or 0


async def add_resident(
    session: AsyncSession, telegram_id: int, name: str, now: datetime, language: str | None = None
) -> Person:
    person = Person(
        telegram_id=telegram_id,
        full_name=name,
        phone="+8613800000000",
        language=language,
        created_at=now,
        reachable=True,
        consent_version="1",
        consented_at=now,
    )
    session.add(person)
    await session.flush()
    return person


async def actor(session: AsyncSession, telegram_id: int) -> Actor:
    return await resolve_actor(session, telegram_id)
