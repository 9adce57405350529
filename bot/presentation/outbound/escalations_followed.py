"""Escalations, warnings and reminders in staff groups follow their tickets once sent.

One ticket's message (ref ``esct:<ticket>:<unit>``, ``neart:<ticket>:<unit>``) is
edited, when the ticket changes, to end with where it stands now, offering only what
still applies (no Take once someone holds it); in a group the ticket has left (moved to
a project outside that group's chain) it ends with where it went, its buttons gone. A
digest of several (ref ``esc:<unit>``, ``near:<unit>``) that listed the ticket ends with
where each of its tickets stands now. The words they were sent with stay above: what
was late or due, and when.
"""

from __future__ import annotations

import html
import re
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.config.orgfile import Organisation
from bot.i18n import N_, translate
from bot.presentation import outbox
from bot.presentation.message_split import TEXT_LIMIT, units
from bot.presentation.outbound import escalations
from bot.presentation.texts import STATUS_ICONS, project_label, staff_status_name
from bot.services.access import unit_chain
from storage.models import OrgUnit, OutboxMessage, OutboxStatus, Person, Ticket

NOW = N_("{icon} Now: {status} · held by {holder}")
MOVED_NOW = N_("➡️ Now: moved to {project}")
# A digest followed: under its lines, where each of its tickets stands now.
DIGEST_NOW = N_("Now:")
DIGEST_NOW_LINE = N_("{icon} <b>{number}</b> · {status} · held by {holder}")
DIGEST_MOVED_LINE = N_("➡️ <b>{number}</b> · moved to {project}")
_DIGEST_NUMBER = re.compile(r"^• <b>([^<]+)</b>", re.MULTILINE)  # DIGEST_LINE, DIGEST_LINE_ABOVE
# DIGEST_HEADER, WARNING_DIGEST_HEADER (after a forwarding note)
_DIGEST_HEAD = re.compile(r"^(?:🔺|⏰)", re.MULTILINE)


def _held_by(locale: str, holder: Person | None) -> str:
    """Who holds a ticket now, as a followed message says it."""
    if holder is None:
        return translate(locale, escalations.NOBODY)
    return html.escape(holder.full_name or "—")


async def _project_name(
    session: AsyncSession, org: Organisation, locale: str, project_id: int
) -> str:
    """Where a moved ticket went, as a followed message says it (HTML)."""
    project = await session.get(OrgUnit, project_id)
    label = project_label(org, locale, project.key, project.name) if project else "—"
    return html.escape(label)


async def follow_ticket(
    session: AsyncSession,
    org: Organisation,
    ticket: Ticket,
    now: datetime,
    *,
    moved_from: int | None = None,
) -> None:
    """Each escalation, warning or reminder sent about ``ticket`` (one message in a group
    of its project's chain) is edited to end with where the ticket stands now, its
    buttons those that still apply; the words it was sent with stay above (what was
    late, by how much).
    ``moved_from``: the project it has just left, whose groups (those not in the new
    chain) read where it went, their buttons gone: it is no longer theirs to act on.
    A digest that listed it is followed too (:func:`_digest_edit`)."""
    chain = {unit.id: unit for unit in await unit_chain(session, ticket.project_id)}
    left = [] if moved_from is None else await unit_chain(session, moved_from)
    groups = [*chain.values(), *(unit for unit in left if unit.id not in chain)]
    singles = {f.ref(unit.id, ticket.id): unit for f in escalations.FOLLOWED for unit in groups}
    digests = {f.ref(unit.id): unit for f in escalations.FOLLOWED for unit in groups}
    sent = await session.execute(
        select(
            OutboxMessage.chat_id,
            OutboxMessage.telegram_message_id,
            OutboxMessage.payload,
            OutboxMessage.ref,
        ).where(
            OutboxMessage.ref.in_([*singles, *digests]),
            OutboxMessage.method == "sendMessage",
            OutboxMessage.status == OutboxStatus.SENT,
            OutboxMessage.telegram_message_id.is_not(None),
            OutboxMessage.created_at >= ticket.created_at,  # none before it could name it
        )
    )
    holder = await session.get(Person, ticket.assignee_id) if ticket.assignee_id else None
    for chat_id, message_id, payload, ref in sent:
        text = payload.get("text")
        if not isinstance(text, str):
            continue  # words erased (privacy), or sealed: left as they are
        edit: _Edit | None
        if ref in singles:
            unit = singles[ref]
            edit = await _single_edit(session, org, ticket, holder, unit, unit.id in chain)
        else:
            edit = await _digest_edit(session, org, ticket, digests[ref], text)
        if edit is None:
            continue
        words, markup = edit
        await outbox.enqueue_newest_edit(
            session,
            ref=f"{ref}:{message_id}",
            chat_id=chat_id,
            payload={
                "message_id": message_id,
                "parse_mode": "HTML",
                "text": f"{text}\n\n{words}",
                **markup,
            },
            now=now,
        )


# An edit: the words added under the message's own, and its keyboard (none: no buttons).
_Edit = tuple[str, dict[str, Any]]


async def _single_edit(
    session: AsyncSession,
    org: Organisation,
    ticket: Ticket,
    holder: Person | None,
    group: OrgUnit,
    in_chain: bool,
) -> _Edit:
    """The line one ticket's escalation ends with now, and its buttons."""
    locale = org.group_language(group.key)
    if not in_chain:  # without a keyboard the edit takes the buttons away
        name = await _project_name(session, org, locale, ticket.project_id)
        return translate(locale, MOVED_NOW, project=name), {}
    line = translate(
        locale,
        NOW,
        icon=STATUS_ICONS[ticket.status],
        status=staff_status_name(locale, ticket.status),
        holder=_held_by(locale, holder),
    )
    return line, {"reply_markup": escalations.ticket_buttons(locale, ticket)}


async def _digest_edit(
    session: AsyncSession, org: Organisation, ticket: Ticket, group: OrgUnit, text: str
) -> _Edit | None:
    """A digest that lists ``ticket`` ends with where every ticket it lists stands now
    (one moved to a project outside the group's chain: where it went), its Details
    buttons kept. None for a digest that does not list it, or one sent in parts (too long
    for one message) or too long to take that block: it is left as it was sent."""
    if f"• <b>{ticket.number}</b>" not in text or not _DIGEST_HEAD.search(text):
        return None  # not listed; or the last part of one sent in parts (the ref's)
    listed = await _listed(session, _DIGEST_NUMBER.findall(text))
    block = await _digest_now(session, org, group, listed)
    if units(f"{text}\n\n{block}") > TEXT_LIMIT:
        return None
    return block, {"reply_markup": escalations.details_buttons(listed)}


async def _listed(session: AsyncSession, numbers: list[str]) -> list[Ticket]:
    """The tickets of a digest, in its order."""
    found = await session.scalars(select(Ticket).where(Ticket.number.in_(numbers)))
    by_number = {ticket.number: ticket for ticket in found}
    return [by_number[number] for number in numbers if number in by_number]


async def _digest_now(
    session: AsyncSession, org: Organisation, group: OrgUnit, tickets: list[Ticket]
) -> str:
    """“Now:” and a line per ticket, in the group's language."""
    locale = org.group_language(group.key)
    holders = await escalations.rows_by_id(session, Person, {t.assignee_id for t in tickets})
    chains: dict[int, set[int]] = {}
    lines = [translate(locale, DIGEST_NOW)]
    for ticket in tickets:
        if ticket.project_id not in chains:
            chain = await unit_chain(session, ticket.project_id)
            chains[ticket.project_id] = {unit.id for unit in chain}
        if group.id not in chains[ticket.project_id]:
            name = await _project_name(session, org, locale, ticket.project_id)
            lines.append(translate(locale, DIGEST_MOVED_LINE, number=ticket.number, project=name))
            continue
        holder = holders.get(ticket.assignee_id) if ticket.assignee_id else None
        lines.append(
            translate(
                locale,
                DIGEST_NOW_LINE,
                icon=STATUS_ICONS[ticket.status],
                number=ticket.number,
                status=staff_status_name(locale, ticket.status),
                holder=_held_by(locale, holder),
            )
        )
    return "\n".join(lines)
