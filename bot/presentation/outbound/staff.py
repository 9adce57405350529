"""What staff groups and staff members are told about tickets, queued in the outbox.

A ticket's card in its project's group is kept current by editing it in place
(``ref`` ``ticket-card:<id>``: the outbox applies an edit to the message first sent
with that ref); other lines about the ticket carry ``ticket:<id>``, so they can be
found again when the resident is erased.
"""

from __future__ import annotations

import html
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from bot.config.orgfile import Organisation
from bot.i18n import N_, translate
from bot.presentation import outbox
from bot.presentation.announce import renders
from bot.presentation.buttons import as_payload
from bot.presentation.outbound import escalations_followed, topics
from bot.presentation.recipients import recipient_of, staff_group
from bot.presentation.staff.card import render_card
from bot.presentation.texts import project_label
from bot.services.context import Context
from bot.services.tickets.notices import (
    AnsweredInPrivate,
    CancelledByResident,
    ResidentCommented,
    TicketAssigned,
    TicketChanged,
    TicketFiled,
    TicketMoved,
    TicketReopened,
)
from storage.models import OrgUnit, Person, Ticket

CARD_REF = "ticket-card:{ticket_id}"
TICKET_NEWS_REF = "ticket:{ticket_id}"
RESIDENT_COMMENTED = N_("💬 {number}: the resident wrote:\n{text}")
REOPENED = N_("↩️ {number} was re-opened by the resident: {reason}")
ANSWERED_PRIVATELY = N_("↪️ {name} answered the resident about {number}:\n{text}")
ASSIGNED_TO_YOU = N_("📌 {name} assigned ticket {number} to you.")
MOVED_AWAY = N_("➡️ {number} was moved to {project}.")


# ------------------------------------------------------------------ the card


def group_locale(org: Organisation, unit: OrgUnit | None) -> str:
    """The language of the unit's staff group (its own, else the organisation's)."""
    return org.group_language(unit.key if unit is not None else None)


async def post_card(
    session: AsyncSession, org: Organisation, ticket: Ticket, now: datetime
) -> None:
    """A new card for the ticket in its project's staff group, in the group's language."""
    project = await session.get(OrgUnit, ticket.project_id)
    group = staff_group(project)
    if group is None:
        return  # no group bound yet: the ticket still shows in /queue
    locale = group_locale(org, project)
    await topics.open_topic(session, org, ticket, project, now, locale)  # a forum: its topic
    text, markup = await render_card(session, org, ticket, locale)
    await group.post(
        session,
        text,
        now=now,
        reply_markup=as_payload(markup),
        ref=CARD_REF.format(ticket_id=ticket.id),
        placement=topics.placement(ticket, group),
    )
    await topics.explain_topic(session, ticket, group, now, locale)


async def refresh_card(
    session: AsyncSession, org: Organisation, ticket: Ticket, now: datetime
) -> None:
    """Edit the ticket's card so the group always shows its current state."""
    project = await session.get(OrgUnit, ticket.project_id)
    chat_id = ticket.card_chat_id or (project.group_chat_id if project else None)
    if chat_id is None:
        return
    text, markup = await render_card(session, org, ticket, group_locale(org, project))
    await outbox.enqueue_newest_edit(
        session,
        ref=CARD_REF.format(ticket_id=ticket.id),
        chat_id=chat_id,
        payload={"text": text, "parse_mode": "HTML", "reply_markup": as_payload(markup)},
        now=now,
    )


async def tell_group(
    session: AsyncSession, ctx: Context, ticket: Ticket, msgid: str, **values: object
) -> None:
    """A short line in the project group about the ticket (its ``{number}`` filled in),
    in the group's language, as a reply to its card."""
    project = await session.get(OrgUnit, ticket.project_id)
    group = staff_group(project)
    if group is None:
        return
    text = translate(group_locale(ctx.org, project), msgid, number=ticket.number, **values)
    on_card = ticket.card_message_id and ticket.card_chat_id == group.chat_id
    on_card = on_card and not topics.in_own_topic(ticket, group)  # a topic needs no reply
    await group.post(
        session,
        text,
        now=ctx.now,
        reply_to=ticket.card_message_id if on_card else None,
        ref=TICKET_NEWS_REF.format(ticket_id=ticket.id),
        placement=topics.placement(ticket, group),
    )


async def _photos_to_group(
    session: AsyncSession, ticket: Ticket, now: datetime, file_ids: tuple[str, ...]
) -> None:
    group = staff_group(await session.get(OrgUnit, ticket.project_id))
    if group is None:
        return
    for file_id in file_ids:
        payload = {"photo": file_id, "caption": ticket.number, **topics.placement(ticket, group)}
        await outbox.enqueue(
            session,
            chat_id=group.chat_id,
            method="sendPhoto",
            payload=payload,
            now=now,
            ref=TICKET_NEWS_REF.format(ticket_id=ticket.id),  # a reply to it answers the ticket
        )


async def _ticket(session: AsyncSession, ticket_id: int) -> Ticket:
    ticket = await session.get(Ticket, ticket_id)
    if ticket is None:
        raise LookupError(f"ticket {ticket_id} is gone")
    return ticket


# ------------------------------------------------------------------ renderers


@renders(TicketFiled)
async def _filed(session: AsyncSession, ctx: Context, notice: TicketFiled) -> None:
    ticket = await _ticket(session, notice.ticket_id)
    await post_card(session, ctx.org, ticket, ctx.now)
    await _photos_to_group(session, ticket, ctx.now, notice.photo_file_ids)


@renders(TicketChanged)
async def _changed(session: AsyncSession, ctx: Context, notice: TicketChanged) -> None:
    ticket = await _ticket(session, notice.ticket_id)
    await refresh_card(session, ctx.org, ticket, ctx.now)
    await escalations_followed.follow_ticket(session, ctx.org, ticket, ctx.now)
    project = await session.get(OrgUnit, ticket.project_id)
    await topics.sync_topic(session, ctx.org, ticket, ctx.now, group_locale(ctx.org, project))


@renders(ResidentCommented)
async def _commented(session: AsyncSession, ctx: Context, notice: ResidentCommented) -> None:
    ticket = await _ticket(session, notice.ticket_id)
    await tell_group(session, ctx, ticket, RESIDENT_COMMENTED, text=html.escape(notice.text))
    await _photos_to_group(session, ticket, ctx.now, notice.photo_file_ids)


@renders(TicketReopened)
async def _reopened(session: AsyncSession, ctx: Context, notice: TicketReopened) -> None:
    ticket = await _ticket(session, notice.ticket_id)
    await tell_group(session, ctx, ticket, REOPENED, reason=html.escape(notice.reason))


CANCELLED_BY_RESIDENT = N_("🚫 {number} was cancelled by the resident: {reason}")


@renders(CancelledByResident)
async def _cancelled(session: AsyncSession, ctx: Context, notice: CancelledByResident) -> None:
    ticket = await _ticket(session, notice.ticket_id)
    await tell_group(session, ctx, ticket, CANCELLED_BY_RESIDENT, reason=html.escape(notice.reason))


@renders(AnsweredInPrivate)
async def _answered_in_private(
    session: AsyncSession, ctx: Context, notice: AnsweredInPrivate
) -> None:
    ticket = await _ticket(session, notice.ticket_id)
    author = await session.get(Person, notice.author_id) if notice.author_id else None
    name = html.escape((author.full_name if author else None) or "—")
    await tell_group(
        session, ctx, ticket, ANSWERED_PRIVATELY, name=name, text=html.escape(notice.text)
    )


@renders(TicketAssigned)
async def _assigned(session: AsyncSession, ctx: Context, notice: TicketAssigned) -> None:
    """The new assignee hears about it privately, with the card to act on."""
    reader = await recipient_of(session, notice.assignee_id, ctx.group_locale)
    if reader is None:
        return
    ticket = await _ticket(session, notice.ticket_id)
    author = await session.get(Person, notice.by_person_id) if notice.by_person_id else None
    line = translate(
        reader.locale,
        ASSIGNED_TO_YOU,
        name=html.escape((author.full_name if author else None) or "—"),
        number=ticket.number,
    )
    text, markup = await render_card(session, ctx.org, ticket, reader.locale)
    await outbox.enqueue_text(
        session,
        chat_id=reader.chat_id,
        text=f"{line}\n\n{text}",
        reply_markup=as_payload(markup),
        now=ctx.now,
    )


@renders(TicketMoved)
async def _moved(session: AsyncSession, ctx: Context, notice: TicketMoved) -> None:
    """A new card in the new project's group; the old card says where it went and loses
    its buttons."""
    ticket = await _ticket(session, notice.ticket_id)
    # Edits of the old card not yet sent would land in the new group as a new card.
    await outbox.replace_pending_edit(session, CARD_REF.format(ticket_id=ticket.id))
    await topics.leave_topic(session, ticket, ctx.now)
    await post_card(session, ctx.org, ticket, ctx.now)
    await escalations_followed.follow_ticket(
        session, ctx.org, ticket, ctx.now, moved_from=notice.old_project_id
    )
    if notice.old_card_chat_id is None or notice.old_card_message_id is None:
        return
    project = await session.get(OrgUnit, ticket.project_id)
    locale = await ctx.locale_of_group(session, notice.old_card_chat_id)  # the old group's
    name = project_label(ctx.org, locale, project.key, project.name) if project else "—"
    text = translate(locale, MOVED_AWAY, number=ticket.number, project=html.escape(name))
    await outbox.enqueue(
        session,
        chat_id=notice.old_card_chat_id,
        method="editMessageText",
        now=ctx.now,
        payload={"message_id": notice.old_card_message_id, "text": text, "parse_mode": "HTML"},
    )
