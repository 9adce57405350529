"""A ticket's own topic in a forum staff group: created with its card, named with its
status, number, category and unit, renamed as that changes, closed while the ticket is
not open (resolved, closed, cancelled), reopened when it is re-opened.

Everything the bot posts about the ticket in its group goes to the topic. The topic is
created through the outbox like any message, so a message queued before Telegram
created it carries the topic's ref instead of a thread id (``IN_TOPIC_OF``); the sender
resolves it at send time. The outbox sends a chat's messages in order, so the topic
exists (or failed) before the card and the lines that follow it are sent; if it could
not be created (the bot may not manage topics), they go to the group as before.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot.config.orgfile import Organisation
from bot.i18n import N_, translate
from bot.presentation import outbox
from bot.presentation.recipients import StaffGroup
from bot.presentation.staff.card import unit_place
from bot.presentation.texts import STATUS_ICONS, category_name
from bot.services.delivery_outcomes import IN_TOPIC_OF, topic_ref
from bot.services.tickets import topics
from bot.services.tickets.transitions import is_open
from storage.models import OrgUnit, Ticket

TITLE_LIMIT = 128  # Telegram's limit for a topic's name
TOPIC_HINT = N_(
    "💬 Everything you write in this topic goes to the resident (text and photos). "
    "An internal note starts with /note or #note."
)
SEPARATOR = " · "


async def _unit_label(
    session: AsyncSession, org: Organisation, ticket: Ticket, locale: str
) -> str | None:
    found = await unit_place(session, org, locale, ticket.property_unit_id)
    return found or ticket.location_text or None


async def topic_title(session: AsyncSession, org: Organisation, ticket: Ticket, locale: str) -> str:
    """``🔧 SG-000012 · 水电 · 1号楼 1-201``: the status at a glance, then what and where."""
    parts = [
        f"{STATUS_ICONS[ticket.status]} {ticket.number}",
        category_name(org, locale, ticket.category_key),
    ]
    unit = await _unit_label(session, org, ticket, locale)
    if unit:
        parts.append(unit)
    title = SEPARATOR.join(parts)
    return title if len(title) <= TITLE_LIMIT else title[: TITLE_LIMIT - 1] + "…"


async def open_topic(
    session: AsyncSession,
    org: Organisation,
    ticket: Ticket,
    project: OrgUnit | None,
    now: datetime,
    locale: str,
) -> None:
    """Queue the ticket's topic where its project's group is a forum (before its card)."""
    if not topics.has_own_topics(project) or project is None or project.group_chat_id is None:
        return
    if ticket.topic_chat_id == project.group_chat_id:
        return  # it has one there (its card is posted again)
    title = await topic_title(session, org, ticket, locale)
    topics.topic_queued(ticket, project.group_chat_id, title)
    await outbox.enqueue(
        session,
        chat_id=project.group_chat_id,
        method="createForumTopic",
        payload={"name": title},
        now=now,
        ref=topic_ref(ticket.id),
    )


async def explain_topic(
    session: AsyncSession, ticket: Ticket, group: StaffGroup, now: datetime, locale: str
) -> None:
    """Under the card in a new topic: how to talk to the resident there."""
    if in_own_topic(ticket, group) and ticket.topic_thread_id is None:
        hint = translate(locale, TOPIC_HINT)
        await group.post(session, hint, now=now, placement=placement(ticket, group))


def placement(ticket: Ticket, group: StaffGroup) -> dict[str, Any]:
    """Where in the group a message about the ticket goes: its topic (known, or resolved
    when sent), else the topic the group was bound in, else the group itself."""
    if ticket.topic_chat_id == group.chat_id:
        if ticket.topic_thread_id is not None:
            return {"message_thread_id": ticket.topic_thread_id}
        return {IN_TOPIC_OF: topic_ref(ticket.id)}
    return group.placement()


def in_own_topic(ticket: Ticket, group: StaffGroup) -> bool:
    return ticket.topic_chat_id == group.chat_id


async def sync_topic(
    session: AsyncSession, org: Organisation, ticket: Ticket, now: datetime, locale: str
) -> None:
    """Rename the topic when its title changed; close it when the ticket is no longer
    open, reopen it when it is again."""
    chat_id, thread_id = ticket.topic_chat_id, ticket.topic_thread_id
    if chat_id is None:
        return  # no topic
    title = await topic_title(session, org, ticket, locale)
    if thread_id is None:
        # Not created yet: its creation takes the new title (an erased resident's unit
        # must not name the topic). When it is being sent right now, it goes with the old
        # one, and ``topic_created`` renames it as soon as Telegram has made it.
        if title != ticket.topic_title:
            await outbox.rewrite_pending(
                session, ref=topic_ref(ticket.id), method="createForumTopic", name=title
            )
            topics.topic_queued(ticket, chat_id, title)
        return
    closing = not is_open(ticket.status)
    if topics.topic_titled(ticket, title):
        await _topic_call(
            session, chat_id, "editForumTopic", now, thread_id, name=ticket.topic_title
        )
    if topics.topic_closed(ticket, closing):
        method = "closeForumTopic" if closing else "reopenForumTopic"
        await _topic_call(session, chat_id, method, now, thread_id)


async def topic_created(
    session: AsyncSession, ticket_id: int, chat_id: int, thread_id: int, *, name: str, now: datetime
) -> None:
    """Telegram created the ticket's topic (recorded by ``message_delivered``), named
    ``name``: what changed while the creation was on its way follows it. The title may
    have changed after the sender took the call (``sync_topic`` could no longer rewrite
    it), and the ticket may have been resolved or moved to another group meanwhile."""
    ticket = await session.get(Ticket, ticket_id)
    if ticket is None or (ticket.topic_chat_id, ticket.topic_thread_id) != (chat_id, thread_id):
        # Moved to another project's group meanwhile: this topic is not the ticket's.
        await _topic_call(session, chat_id, "closeForumTopic", now, thread_id)
        return
    if ticket.topic_title and ticket.topic_title != name:
        await _topic_call(
            session, chat_id, "editForumTopic", now, thread_id, name=ticket.topic_title
        )
    if topics.topic_closed(ticket, not is_open(ticket.status)):
        await _topic_call(session, chat_id, "closeForumTopic", now, thread_id)


async def leave_topic(session: AsyncSession, ticket: Ticket, now: datetime) -> None:
    """The ticket moved to another project's group: its old topic is closed."""
    old = topics.topic_left(ticket)
    if old is not None:
        await _topic_call(session, old[0], "closeForumTopic", now, old[1])


async def _topic_call(
    session: AsyncSession, chat_id: int, method: str, now: datetime, thread_id: int, **values: Any
) -> None:
    # No ref: an edit with a ref and no message id would be re-sent as a new message.
    await outbox.enqueue(
        session,
        chat_id=chat_id,
        method=method,
        payload={"message_thread_id": thread_id, **values},
        now=now,
    )
