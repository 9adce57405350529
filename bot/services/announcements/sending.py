"""Sending a notice, correcting it, withdrawing it, and telling the sender how its
delivery goes.

The messages are outbox rows with the ref ``notice:<id>`` and a dedup key per notice and
resident, all queued in the transaction that creates the notice: a restart resumes the
delivery where it stopped, nothing is sent twice and nobody is forgotten. The outbox
sender paces them; a notice that can wait is due when the quiet hours end.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, exists, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.services import access, audit
from bot.services.announcements.drafts import (
    AnnouncementKind,
    AudienceBeyondScope,
    Draft,
    NoSuchNotice,
    NotForNotices,
    NotYourNotice,
    clean_text,
    deliver_at,
)
from bot.services.announcements.notices import (
    AnnouncementChanged,
    AnnouncementProgress,
    AnnouncementSent,
    Reader,
)
from bot.services.context import Context
from bot.services.people import Actor
from bot.services.resident_units import reachable_residents
from storage.db import claim
from storage.models import (
    Announcement,
    AnnouncementMute,
    Building,
    OrgLevel,
    OrgUnit,
    OutboxMessage,
    OutboxStatus,
    Person,
)

ID_CHUNK = 1000


# The ref of a notice's copies (and their edits): a mailing to the outbox sender.
NOTICE_REF_PREFIX = "notice:"


def announcement_ref(announcement_id: int) -> str:
    return f"{NOTICE_REF_PREFIX}{announcement_id}"


def reader_key(announcement_id: int, person_id: int) -> str:
    """The outbox dedup key of one resident's copy: queued once, whatever happens."""
    return f"notice:{announcement_id}:p{person_id}"


# ------------------------------------------------------------------ audience


@dataclass(frozen=True)
class AudienceUnit:
    id: int
    key: str
    name: str
    level: OrgLevel


async def audience_units(session: AsyncSession, actor: Actor | None) -> list[AudienceUnit]:
    """The units a staff member may address: their own units and every unit below."""
    if actor is None or not actor.is_staff:
        raise NotForNotices()
    ids = await access.staff_project_ids(session, actor)
    rows = await session.execute(
        select(OrgUnit.id, OrgUnit.key, OrgUnit.name, OrgUnit.level).where(
            OrgUnit.id.in_(ids), OrgUnit.active.is_(True)
        )
    )
    # From the widest down.
    units = [AudienceUnit(*row) for row in rows]
    return sorted(units, key=lambda u: (access.LEVEL_RANK[u.level], u.id))


async def require_audience(session: AsyncSession, ctx: Context, actor: Actor | None, unit_id: int):
    if actor is None or not actor.is_staff:
        raise NotForNotices()
    if unit_id not in await access.staff_project_ids(session, actor):
        await audit.refused(session, ctx.now, actor, "notice.send", "beyond_scope")
        raise AudienceBeyondScope()


async def _active_below(session: AsyncSession, unit_id: int, level: OrgLevel) -> list[int]:
    """The active units of ``level`` at or below the unit, by id."""
    below = await access.units_below(session, {unit_id})
    rows = await session.scalars(
        select(OrgUnit.id).where(
            OrgUnit.id.in_(below), OrgUnit.level == level, OrgUnit.active.is_(True)
        )
    )
    return sorted(rows.all())


async def project_ids_of(session: AsyncSession, unit_id: int) -> list[int]:
    return await _active_below(session, unit_id, OrgLevel.PROJECT)


async def readers_of(
    session: AsyncSession, project_ids: list[int], building_ids: list[int], kind: str
) -> list[Reader]:
    """Residents bound to a unit of the audience (not staff, reachable); general notices
    skip those who muted them."""
    if not project_ids:
        return []
    statement = reachable_residents(project_ids)
    if building_ids:
        statement = statement.where(Building.id.in_(building_ids))
    if kind == AnnouncementKind.GENERAL:
        muted = exists().where(AnnouncementMute.person_id == Person.id)
        statement = statement.where(~muted)
    rows = (await session.execute(statement)).all()
    return [Reader(person, chat or 0, lang, tg_lang) for person, chat, lang, tg_lang in rows]


async def reach_of(session: AsyncSession, draft: Draft) -> int:
    """How many residents the draft would reach if sent now (the preview's figure)."""
    assert draft.unit_id is not None and draft.kind is not None
    projects = await project_ids_of(session, draft.unit_id)
    return len(await readers_of(session, projects, draft.building_ids, draft.kind))


async def _regions_below(session: AsyncSession, unit: OrgUnit) -> list[int]:
    """The active regions under an HQ-wide notice: their staff groups are told too."""
    if unit.level != OrgLevel.HQ:
        return []
    return await _active_below(session, unit.id, OrgLevel.REGION)


# ------------------------------------------------------------------ sending


async def send(
    session: AsyncSession, ctx: Context, actor: Actor | None, draft: Draft, chat_id: int | None
) -> Announcement:
    """Store the notice and queue every message of it (one transaction)."""
    assert draft.unit_id is not None and draft.kind is not None
    await require_audience(session, ctx, actor, draft.unit_id)
    assert actor is not None
    unit = await session.get(OrgUnit, draft.unit_id)
    assert unit is not None
    projects = await project_ids_of(session, unit.id)
    starts_at, ends_at = draft.window
    project_key = unit.key if unit.level == OrgLevel.PROJECT else None
    zone = ctx.org.zone(project_key)
    announcement = Announcement(
        org_unit_id=unit.id,
        project_ids=projects,
        building_ids=list(draft.building_ids),
        kind=draft.kind,
        category_key=draft.category_key,
        starts_at=starts_at,
        ends_at=ends_at,
        text_zh=clean_text(draft.text_zh),
        text_en=clean_text(draft.text_en) if draft.text_en else None,
        photo_file_id=draft.photo_file_id,
        created_by_id=actor.person_id,
        sender_chat_id=chat_id,
        created_at=ctx.now,
        deliver_at=deliver_at(ctx.org.quiet_hours, draft.kind, starts_at, ctx.now, zone),
        reach=0,
        revision=1,
    )
    session.add(announcement)
    await session.flush()
    readers = await readers_of(session, projects, announcement.building_ids, announcement.kind)
    announcement.reach = len(readers)
    groups = tuple(dict.fromkeys([*projects, *await _regions_below(session, unit), unit.id]))
    await ctx.announce(session, AnnouncementSent(announcement.id, tuple(readers), groups))
    await audit.record(
        session,
        ctx.now,
        actor,
        "notice.send",
        org_unit_id=unit.id,
        data={
            "notice": announcement.id,
            "kind": announcement.kind,
            "category": announcement.category_key,
            "buildings": announcement.building_ids,
            "reach": announcement.reach,
            "deliver_at": announcement.deliver_at.isoformat(),
        },
    )
    return announcement


async def _own(
    session: AsyncSession, ctx: Context, actor: Actor | None, announcement_id: int, action: str
) -> Announcement:
    announcement = await session.scalar(
        select(Announcement).where(Announcement.id == announcement_id).with_for_update()
    )
    if announcement is None or announcement.withdrawn_at is not None:
        raise NoSuchNotice()
    if actor is None or not (
        actor.person_id == announcement.created_by_id
        or await access.may_manage(session, actor, announcement.org_unit_id)
    ):
        await audit.refused(session, ctx.now, actor, action, "not_yours")
        raise NotYourNotice()
    return announcement


async def _changed(
    session: AsyncSession,
    ctx: Context,
    actor: Actor | None,
    announcement: Announcement,
    action: str,
    **data: Any,
) -> None:
    """A sent notice changed: its copies follow, and the audit log says what changed."""
    await ctx.announce(session, AnnouncementChanged(announcement.id))
    await audit.record(
        session,
        ctx.now,
        actor,
        action,
        org_unit_id=announcement.org_unit_id,
        data={"notice": announcement.id, **data},
    )


async def correct(
    session: AsyncSession,
    ctx: Context,
    actor: Actor | None,
    announcement_id: int,
    text_zh: str,
    text_en: str | None = None,
) -> Announcement:
    """New words: messages not sent yet carry them, sent ones are edited."""
    announcement = await _own(session, ctx, actor, announcement_id, "notice.correct")
    announcement.text_zh = clean_text(text_zh)
    if text_en is not None:
        announcement.text_en = clean_text(text_en)
    announcement.revision += 1
    announcement.edited_at = ctx.now
    await _changed(
        session, ctx, actor, announcement, "notice.correct", revision=announcement.revision
    )
    return announcement


async def withdraw(
    session: AsyncSession, ctx: Context, actor: Actor | None, announcement_id: int
) -> int:
    """Withdraw the notice: messages not sent yet are dropped, sent ones say it was
    withdrawn. Returns how many were dropped."""
    announcement = await _own(session, ctx, actor, announcement_id, "notice.withdraw")
    assert actor is not None
    announcement.withdrawn_at = ctx.now
    announcement.withdrawn_by_id = actor.person_id
    unsent = list(
        (
            await session.scalars(
                select(OutboxMessage.id).where(
                    OutboxMessage.ref == announcement_ref(announcement.id),
                    OutboxMessage.status == OutboxStatus.PENDING,
                    OutboxMessage.locked_by.is_(None),
                    OutboxMessage.method.in_(("sendMessage", "sendPhoto")),
                )
            )
        ).all()
    )
    for start in range(0, len(unsent), ID_CHUNK):
        chunk = unsent[start : start + ID_CHUNK]
        await session.execute(delete(OutboxMessage).where(OutboxMessage.id.in_(chunk)))
    await _changed(session, ctx, actor, announcement, "notice.withdraw", dropped=len(unsent))
    return len(unsent)


# ------------------------------------------------------------------ delivery progress


@dataclass(frozen=True)
class DeliveryCount:
    delivered: int
    unreachable: int
    waiting: int


async def delivery_count(session: AsyncSession, announcement_id: int) -> DeliveryCount:
    """The residents' copies (not the staff groups'), by what became of them."""
    rows = await session.execute(
        select(OutboxMessage.status, func.count())
        .where(
            OutboxMessage.ref == announcement_ref(announcement_id),
            OutboxMessage.chat_id > 0,
            OutboxMessage.method.in_(("sendMessage", "sendPhoto")),
        )
        .group_by(OutboxMessage.status)
    )
    counts = {OutboxStatus(status): count for status, count in rows}
    return DeliveryCount(
        delivered=counts.get(OutboxStatus.SENT, 0),
        unreachable=counts.get(OutboxStatus.INACTIVE, 0) + counts.get(OutboxStatus.DEAD, 0),
        waiting=counts.get(OutboxStatus.PENDING, 0),
    )


async def report_progress(session: AsyncSession, ctx: Context) -> int:
    """Tell each sender how their notices' delivery goes; the final count once, when
    every message is settled. Returns how many reports were queued."""
    due = (
        await session.scalars(
            select(Announcement.id).where(
                Announcement.reported_at.is_(None), Announcement.deliver_at <= ctx.now
            )
        )
    ).all()
    reported = 0
    for announcement_id in due:
        count = await delivery_count(session, announcement_id)
        final = count.waiting == 0
        if final and not await claim(
            session,
            Announcement,
            Announcement.id == announcement_id,
            Announcement.reported_at.is_(None),
            reported_at=ctx.now,
        ):
            continue
        await ctx.announce(
            session,
            AnnouncementProgress(
                announcement_id, count.delivered, count.unreachable, count.waiting, final
            ),
        )
        reported += 1
    return reported


async def latest_of(session: AsyncSession, actor: Actor, limit: int = 5) -> list[Announcement]:
    """The sender's latest notices (to correct or withdraw)."""
    rows = await session.scalars(
        select(Announcement)
        .where(Announcement.created_by_id == actor.person_id)
        .order_by(Announcement.id.desc())
        .limit(limit)
    )
    return list(rows.all())


async def since(session: AsyncSession, moment: datetime) -> list[Announcement]:
    rows = await session.scalars(select(Announcement).where(Announcement.created_at >= moment))
    return list(rows.all())


# ------------------------------------------------------------------ residents' choice


async def is_muted(session: AsyncSession, person_id: int) -> bool:
    """Whether the resident muted general notices."""
    return await session.get(AnnouncementMute, person_id) is not None


async def set_muted(session: AsyncSession, ctx: Context, person_id: int, muted: bool) -> bool:
    """Mute or unmute general notices (outages and incidents always come); the new state."""
    current = await session.get(AnnouncementMute, person_id)
    if muted and current is None:
        session.add(AnnouncementMute(person_id=person_id, muted_at=ctx.now))
    elif not muted and current is not None:
        await session.delete(current)
    await session.flush()
    return muted
