"""Notices in the outbox: each resident's copy in their language (due when the quiet
hours end, if it can wait), the staff groups' copies, the edits of a correction or a
withdrawal, the sender's progress and final count."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.i18n import pick_locale
from bot.presentation import outbox
from bot.presentation.announce import renders
from bot.presentation.announcements import notice_body, place_names, progress_text, zone_of
from bot.presentation.recipients import person_locale, staff_group
from bot.services.announcements.notices import (
    AnnouncementChanged,
    AnnouncementProgress,
    AnnouncementSent,
)
from bot.services.announcements.sending import announcement_ref, reader_key
from bot.services.context import Context
from storage.models import Announcement, OrgUnit, OutboxMessage, OutboxStatus, Person

SENDS = ("sendMessage", "sendPhoto")


class _Bodies:
    """The notice's text per language (names of places looked up once per language)."""

    def __init__(self, session: AsyncSession, ctx: Context, announcement: Announcement) -> None:
        self._session, self._ctx, self._announcement = session, ctx, announcement
        self._cache: dict[str, str] = {}

    async def project_key(self) -> str | None:
        if len(self._announcement.project_ids) != 1:
            return None
        unit = await self._session.get(OrgUnit, self._announcement.project_ids[0])
        return unit.key if unit else None

    async def body(self, locale: str) -> str:
        if locale not in self._cache:
            org = self._ctx.org
            places = await place_names(self._session, org, self._announcement, locale)
            zone = zone_of(org, self._announcement, await self.project_key())
            self._cache[locale] = notice_body(org, self._announcement, places, locale, zone)
        return self._cache[locale]


async def _announcement(session: AsyncSession, announcement_id: int) -> Announcement:
    """The announcement that a notice to render is about (it is there)."""
    announcement = await session.get(Announcement, announcement_id)
    assert announcement is not None
    return announcement


async def notice_for_reader(
    session: AsyncSession, ctx: Context, announcement_id: int, locale: str
) -> str:
    """The notice as one reader reads it (shown again to a resident who reports it)."""
    announcement = await _announcement(session, announcement_id)
    return await _Bodies(session, ctx, announcement).body(locale)


def _payload(announcement: Announcement, body: str) -> tuple[str, dict[str, Any]]:
    if announcement.photo_file_id:
        return "sendPhoto", {
            "photo": announcement.photo_file_id,
            "caption": body,
            "parse_mode": "HTML",
        }
    return "sendMessage", {"text": body, "parse_mode": "HTML"}


@renders(AnnouncementSent)
async def announcement_sent(session: AsyncSession, ctx: Context, notice: AnnouncementSent) -> None:
    announcement = await _announcement(session, notice.announcement_id)
    bodies = _Bodies(session, ctx, announcement)
    ref = announcement_ref(announcement.id)
    messages = []
    for reader in notice.readers:
        locale = pick_locale(reader.language, reader.telegram_language, ctx.group_locale)
        method, payload = _payload(announcement, await bodies.body(locale))
        messages.append(
            outbox.Outgoing(
                reader.chat_id,
                payload,
                method=method,
                dedup_key=reader_key(announcement.id, reader.person_id),
            )
        )
    await outbox.enqueue_many(
        session, messages, now=ctx.now, ref=ref, due_at=announcement.deliver_at
    )
    group_body = await bodies.body(ctx.group_locale)
    for unit_id in notice.group_unit_ids:
        group = staff_group(await session.get(OrgUnit, unit_id))
        if group is None:
            continue
        method, payload = _payload(announcement, group_body)
        payload |= group.placement()
        await outbox.enqueue(
            session,
            chat_id=group.chat_id,
            method=method,
            payload=payload,
            now=ctx.now,
            dedup_key=f"notice:{announcement.id}:g{group.chat_id}",
            ref=ref,
        )


@renders(AnnouncementChanged)
async def announcement_changed(
    session: AsyncSession, ctx: Context, notice: AnnouncementChanged
) -> None:
    """Every copy shows the new words (or that the notice was withdrawn)."""
    announcement = await _announcement(session, notice.announcement_id)
    bodies = _Bodies(session, ctx, announcement)
    copies = (
        await session.scalars(
            select(OutboxMessage)
            .where(
                OutboxMessage.ref == announcement_ref(announcement.id),
                OutboxMessage.method.in_(SENDS),
                OutboxMessage.status.in_((OutboxStatus.PENDING, OutboxStatus.SENT)),
            )
            .order_by(OutboxMessage.id)
        )
    ).all()
    people = {
        person.telegram_id: person
        for person in (
            await session.scalars(
                select(Person).where(
                    Person.telegram_id.in_([c.chat_id for c in copies if c.chat_id > 0])
                )
            )
        ).all()
    }
    edition = "w" if announcement.withdrawn_at is not None else f"r{announcement.revision}"
    for copy in copies:
        body = await bodies.body(person_locale(people.get(copy.chat_id), ctx.group_locale))
        field = "caption" if copy.method == "sendPhoto" else "text"
        if copy.status == OutboxStatus.PENDING and copy.locked_by is None:
            copy.payload = {**copy.payload, field: body}
            continue
        if copy.telegram_message_id is None or not copy.payload:
            continue  # not sent, or its reader was erased (their chat is forgotten)
        await outbox.enqueue(
            session,
            chat_id=copy.chat_id,
            method="editMessageCaption" if field == "caption" else "editMessageText",
            payload={"message_id": copy.telegram_message_id, field: body, "parse_mode": "HTML"},
            now=ctx.now,
            dedup_key=f"notice:{announcement.id}:{edition}:{copy.id}",
            ref=announcement_ref(announcement.id),  # a mailing: after the conversations
        )


@renders(AnnouncementProgress)
async def announcement_progress(
    session: AsyncSession, ctx: Context, notice: AnnouncementProgress
) -> None:
    """The sender's progress line, edited as it changes; the final count as a new message."""
    announcement = await _announcement(session, notice.announcement_id)
    chat_id = announcement.sender_chat_id
    if chat_id is None:
        return
    sender = (
        await session.get(Person, announcement.created_by_id)
        if announcement.created_by_id
        else None
    )
    locale = person_locale(sender, ctx.group_locale)
    text = progress_text(notice.delivered, notice.unreachable, notice.waiting, notice.final, locale)
    if notice.final:
        await outbox.enqueue_text(
            session,
            chat_id=chat_id,
            text=text,
            now=ctx.now,
            dedup_key=f"notice:{announcement.id}:final",
        )
        return
    ref = f"notice-progress:{announcement.id}"
    earlier = (
        await session.scalars(
            select(OutboxMessage)
            .where(OutboxMessage.ref == ref)
            .order_by(OutboxMessage.id.desc())
            .limit(1)
        )
    ).first()
    if earlier is None:
        await outbox.enqueue_text(session, chat_id=chat_id, text=text, now=ctx.now, ref=ref)
        return
    if earlier.payload.get("text") == text:
        return
    if earlier.status == OutboxStatus.PENDING and earlier.locked_by is None:
        earlier.payload = {**earlier.payload, "text": text}
        return
    first = await session.scalar(
        select(OutboxMessage)
        .where(OutboxMessage.ref == ref, OutboxMessage.method == "sendMessage")
        .order_by(OutboxMessage.id)
        .limit(1)
    )
    if first is None or first.telegram_message_id is None:
        return
    await outbox.enqueue(
        session,
        chat_id=chat_id,
        method="editMessageText",
        payload={"message_id": first.telegram_message_id, "text": text, "parse_mode": "HTML"},
        now=ctx.now,
        ref=ref,
    )
