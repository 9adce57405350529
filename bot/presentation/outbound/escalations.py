"""Deadline messages for staff: escalations (one per ticket, or a digest), warnings and
reminders, and an escalation forwarded up when a group refused it.

Times are shown in the reader's timezone: the project's for its group and its
staff, the organisation's for regional and HQ groups. Escalations carry the ref
``esc:<unit>`` (a digest) or ``esct:<ticket>:<unit>`` (one ticket's) so that one a group
refuses (403) can be forwarded one level up; they and the warnings and reminders sent to
a group (``near:<unit>``, ``neart:<ticket>:<unit>``) are followed once sent
(:mod:`escalations_followed`). Those sent to the ticket's holder in private are not: the
holder knows what they did. In a forum group where a ticket has its own topic, a
message about that one ticket goes to the topic (a digest of several, to the group).
"""

from __future__ import annotations

import html
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

from aiogram.types import InlineKeyboardMarkup
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.config.orgfile import Organisation
from bot.i18n import N_, NP_, Plural, translate, translate_plural
from bot.presentation import outbox
from bot.presentation.announce import renders
from bot.presentation.buttons import as_payload
from bot.presentation.buttons.tickets import CardAction, StaffTicketAction, ticket_button
from bot.presentation.outbound import topics
from bot.presentation.recipients import StaffGroup, person_locale, staff_group
from bot.presentation.staff.card import shows
from bot.presentation.texts import (
    category_name,
    kind_name,
    local_time,
    project_label,
    span,
)
from bot.services.context import Context
from bot.services.delivery_outcomes import IN_TOPIC_OF
from bot.services.sla.escalations import group_above
from bot.services.sla.notices import Deadline, DeadlinesMissed, DeadlinesNear
from storage.models import OrgLevel, OrgUnit, OutboxMessage, Person, Ticket

M = TypeVar("M", Ticket, Person, OrgUnit)
DIGEST_BUTTONS = 8


@dataclass(frozen=True)
class RefFamily:
    """The refs of one kind of deadline message sent to a unit's group: a digest's names
    the unit; one ticket's, the ticket first (found by its prefix)."""

    digest_prefix: str
    ticket_prefix: str

    def ref(self, unit_id: int, ticket_id: int | None = None) -> str:
        if ticket_id is None:
            return f"{self.digest_prefix}{unit_id}"
        return f"{self.ticket_prefix}{ticket_id}:{unit_id}"

    def parse(self, ref: str | None) -> tuple[int, int | None] | None:
        """The unit (and ticket) of one of this family's refs; None for any other."""
        try:
            if ref and ref.startswith(self.ticket_prefix):
                ticket_id, unit_id = ref.removeprefix(self.ticket_prefix).split(":")
                return int(unit_id), int(ticket_id)
            if ref and ref.startswith(self.digest_prefix):
                return int(ref.removeprefix(self.digest_prefix)), None
        except ValueError:
            return None
        return None


ESCALATED = RefFamily("esc:", "esct:")
NEAR = RefFamily("near:", "neart:")  # warnings and reminders
FOLLOWED = (ESCALATED, NEAR)

LADDER_NAMES = {
    "response": N_("First response"),
    "resolution": N_("Resolution"),
    "update": N_("Answer to the resident"),
}
ESCALATION = N_(
    "🔺 <b>{number}</b> · {kind} · {category}\n"
    "{what} is overdue by {late} (was due {due}).\n"
    "Escalation level {level} · {project} · held by {holder}"
)
DIGEST_HEADER = NP_(
    "🔺 <b>{count} overdue ticket</b> needs attention:",
    "🔺 <b>{count} overdue tickets</b> need attention:",
)
DIGEST_LINE = N_("• <b>{number}</b> · {what} · overdue by {late} · level {level} · {holder}")
# In a region's or HQ's group, or a person's chat, a digest may list several projects:
# each line says which (the ``_ABOVE`` lines).
DIGEST_LINE_ABOVE = N_(
    "• <b>{number}</b> · {project} · {what} · overdue by {late} · level {level} · {holder}"
)
WARNING = N_(
    "⏰ <b>{number}</b> · {kind} · {category}\n"
    "{what} is due in {left} (by {due}). Held by {holder}."
)
WARNING_DIGEST_HEADER = NP_(
    "⏰ <b>{count} ticket</b> is due soon:", "⏰ <b>{count} tickets</b> are due soon:"
)
WARNING_LINE = N_("• <b>{number}</b> · {what} due in {left} (by {due}) · {holder}")
WARNING_LINE_ABOVE = N_(
    "• <b>{number}</b> · {project} · {what} due in {left} (by {due}) · {holder}"
)
REMINDER = N_(
    "💬 <b>{number}</b>: the resident is waiting for an answer (it was due {due}). "
    "Held by {holder}."
)
REMINDER_LINE = N_("• <b>{number}</b> · the resident is waiting for an answer since {due}")
REMINDER_LINE_ABOVE = N_(
    "• <b>{number}</b> · {project} · the resident is waiting for an answer since {due}"
)
NOBODY = N_("nobody")
FORWARDED = N_("⚠️ Forwarded here: the group of {unit} could not be reached.")
BUTTONS = (
    (CardAction.TAKE, N_("Take")),
    (CardAction.REASSIGN, N_("Reassign")),
    (CardAction.DETAILS, N_("Details")),
)


def _zone(org: Organisation, project_key: str | None) -> ZoneInfo:
    try:
        return org.zone(project_key)
    except KeyError:
        return org.zone()


@dataclass(frozen=True)
class _Chat:
    """Where a notice goes and how it reads there."""

    chat_id: int
    locale: str
    zone: ZoneInfo
    thread_id: int | None = None
    ref: str | None = None


@dataclass(frozen=True)
class _Line:
    """One ticket's deadline, with what its message says about the ticket."""

    deadline: Deadline
    ticket: Ticket
    project: OrgUnit | None
    holder: Person | None


async def _lines(session: AsyncSession, items: tuple[Deadline, ...]) -> list[_Line]:
    """The tickets (claimed by this sweep), their holders and projects, read at once."""
    tickets = await rows_by_id(session, Ticket, {item.ticket_id for item in items})
    holders = await rows_by_id(session, Person, {t.assignee_id for t in tickets.values()})
    projects = await rows_by_id(session, OrgUnit, {t.project_id for t in tickets.values()})
    lines = []
    for item in items:
        ticket = tickets[item.ticket_id]
        project = projects.get(ticket.project_id)
        lines.append(
            _Line(
                item,
                ticket,
                project if project is not None and project.active else None,
                holders.get(ticket.assignee_id) if ticket.assignee_id else None,
            )
        )
    return lines


async def rows_by_id(session: AsyncSession, model: type[M], ids: set[int | None]) -> dict[int, M]:
    wanted = [i for i in ids if i is not None]
    if not wanted:
        return {}
    rows = await session.scalars(select(model).where(model.id.in_(wanted)))
    return {row.id: row for row in rows}


def _group_chat(ctx: Context, unit: OrgUnit, ref: str | None) -> _Chat:
    assert unit.group_chat_id is not None  # the sweep routes only to bound groups
    zone = ctx.org.zone() if unit.level is not OrgLevel.PROJECT else _zone(ctx.org, unit.key)
    locale = ctx.group_locale_of(unit.key)
    return _Chat(unit.group_chat_id, locale, zone, unit.group_thread_id, ref)


def _holder(locale: str, line: _Line) -> str:
    if line.holder is None or not line.holder.full_name:
        return translate(locale, NOBODY)
    return html.escape(line.holder.full_name)


def _about(ctx: Context, locale: str, line: _Line) -> dict[str, Any]:
    """The placeholders every kind of deadline message shares."""
    ticket = line.ticket
    return {
        "number": ticket.number,
        "kind": kind_name(locale, ticket.kind),
        "category": html.escape(category_name(ctx.org, locale, ticket.category_key)),
        "what": translate(locale, LADDER_NAMES[line.deadline.ladder]),
        "holder": _holder(locale, line),
    }


def _project(ctx: Context, locale: str, project: OrgUnit | None) -> str:
    if project is None:
        return "—"
    return project_label(ctx.org, locale, project.key, project.name)


def _missed_text(ctx: Context, chat: _Chat, line: _Line, template: str) -> str:
    item = line.deadline
    return translate(
        chat.locale,
        template,
        **_about(ctx, chat.locale, line),
        late=span(chat.locale, ctx.now - item.deadline),
        due=local_time(item.deadline, chat.zone),
        level=item.level,
        project=html.escape(_project(ctx, chat.locale, line.project)),
    )


# A warning, and a reminder (the ``update`` ladder): alone, a digest's line, with its project.
_NEAR = {
    False: (WARNING, WARNING_LINE, WARNING_LINE_ABOVE),
    True: (REMINDER, REMINDER_LINE, REMINDER_LINE_ABOVE),
}


def _near_text(ctx: Context, chat: _Chat, line: _Line, *, in_digest: bool, projects: bool) -> str:
    """A warning or a reminder; in a digest one line, naming the project if ``projects``."""
    item = line.deadline
    alone, in_line, in_line_with_project = _NEAR[item.ladder == "update"]
    template = (in_line_with_project if projects else in_line) if in_digest else alone
    return translate(
        chat.locale,
        template,
        **_about(ctx, chat.locale, line),
        left=span(chat.locale, item.deadline - ctx.now),
        due=local_time(item.deadline, chat.zone),
        project=html.escape(_project(ctx, chat.locale, line.project)),
    )


def _spans_projects(unit: OrgUnit | None, lines: list[_Line]) -> bool:
    """Whether a digest's lines name their projects: in a group above a project's, or in
    a person's chat about tickets of several projects."""
    if unit is not None:
        return unit.level is not OrgLevel.PROJECT
    return len({line.ticket.project_id for line in lines}) > 1


def ticket_buttons(locale: str, ticket: Ticket) -> dict[str, Any]:
    """Take, Reassign, Details: those the ticket's status allows (no Take once someone
    holds it: a resolution deadline missed, a warning to its holder)."""
    row = [
        ticket_button(StaffTicketAction, action, ticket, translate(locale, label))
        for action, label in BUTTONS
        if shows(action, ticket)
    ]
    return as_payload(InlineKeyboardMarkup(inline_keyboard=[row]))


def details_buttons(tickets: list[Ticket]) -> dict[str, Any]:
    buttons = [
        {
            "text": ticket.number,
            "callback_data": StaffTicketAction(
                action=CardAction.DETAILS, ticket_id=ticket.id, version=ticket.version
            ).pack(),
        }
        for ticket in tickets[:DIGEST_BUTTONS]
    ]
    return {"inline_keyboard": [buttons[i : i + 4] for i in range(0, len(buttons), 4)]}


async def _queue(
    session: AsyncSession,
    ctx: Context,
    chat: _Chat,
    text: str,
    markup: dict[str, Any],
    about: Ticket | None = None,
) -> None:
    """A message ``about`` one ticket goes to the ticket's own topic when the chat is the
    forum group that gave it one (as everything the bot posts about it there); a digest
    of several, to the group (or the topic it was bound in)."""
    chat_as_group = StaffGroup(chat.chat_id, chat.thread_id or None)
    await chat_as_group.post(
        session,
        text,
        now=ctx.now,
        reply_markup=markup,
        ref=chat.ref,
        placement=None if about is None else topics.placement(about, chat_as_group),
    )


async def _send(
    session: AsyncSession,
    ctx: Context,
    chat: _Chat,
    lines: list[_Line],
    digest_header: Plural | None,
    text: Callable[[_Line, bool], str],
) -> None:
    """One digest (a header, one line per ticket, Details buttons) when ``digest_header``
    is given, else one message per ticket with its Take / Reassign / Details buttons."""
    if digest_header is not None:
        texts = [translate_plural(chat.locale, digest_header, len(lines), count=len(lines))]
        texts += [text(line, True) for line in lines]
        markup = details_buttons([line.ticket for line in lines])
        await _queue(session, ctx, chat, "\n".join(texts), markup)
        return
    for line in lines:
        buttons = ticket_buttons(chat.locale, line.ticket)
        one = _with_ref(chat, line.ticket)
        await _queue(session, ctx, one, text(line, False), buttons, about=line.ticket)


def _with_ref(chat: _Chat, ticket: Ticket) -> _Chat:
    """``chat`` with the ref of one ticket's message (the family and unit kept from its own)."""
    for family in FOLLOWED:
        found = family.parse(chat.ref)
        if found is not None:
            ref = family.ref(found[0], ticket.id)
            return _Chat(chat.chat_id, chat.locale, chat.zone, chat.thread_id, ref)
    return chat


@renders(DeadlinesMissed)
async def deadlines_missed(session: AsyncSession, ctx: Context, notice: DeadlinesMissed) -> None:
    unit = await session.get(OrgUnit, notice.unit_id)
    assert unit is not None
    chat = _group_chat(ctx, unit, ESCALATED.ref(unit.id))

    lines = await _lines(session, notice.items)
    digest_line = DIGEST_LINE_ABOVE if _spans_projects(unit, lines) else DIGEST_LINE

    def text(line: _Line, in_digest: bool) -> str:
        return _missed_text(ctx, chat, line, digest_line if in_digest else ESCALATION)

    header = DIGEST_HEADER if notice.digest else None
    await _send(session, ctx, chat, lines, header, text)


@renders(DeadlinesNear)
async def deadlines_near(session: AsyncSession, ctx: Context, notice: DeadlinesNear) -> None:
    lines = await _lines(session, notice.items)
    unit: OrgUnit | None = None
    if notice.person_id is not None:
        person = await session.get(Person, notice.person_id)
        assert person is not None and person.telegram_id is not None
        project = lines[0].project
        chat = _Chat(
            person.telegram_id,
            person_locale(person, ctx.group_locale),
            _zone(ctx.org, project.key if project else None),
        )
    else:
        assert notice.unit_id is not None
        unit = await session.get(OrgUnit, notice.unit_id)
        assert unit is not None
        chat = _group_chat(ctx, unit, NEAR.ref(unit.id))

    projects = _spans_projects(unit, lines)

    def text(line: _Line, in_digest: bool) -> str:
        return _near_text(ctx, chat, line, in_digest=in_digest, projects=projects)

    header = WARNING_DIGEST_HEADER if notice.digest else None
    await _send(session, ctx, chat, lines, header, text)


async def forward_refused_escalation(
    session: AsyncSession, message: OutboxMessage, now: datetime, locale: str
) -> int | None:
    """An escalation a group refused (403) goes to the next unit up that has a group.

    Returns the chat it was forwarded to, or None (not an escalation, or no one above).
    """
    escalated = ESCALATED.parse(message.ref)
    if escalated is None:
        return None
    unit_id, ticket_id = escalated
    found = await group_above(session, unit_id, message.chat_id)
    if found is None:
        return None
    refusing, above = found
    group = staff_group(await session.get(OrgUnit, above.id))
    assert group is not None
    note = translate(locale, FORWARDED, unit=html.escape(refusing.name))
    # Not into a topic of the refusing group: the group above places it its own way.
    placed = ("message_thread_id", IN_TOPIC_OF)
    forwarded = {k: v for k, v in message.payload.items() if k not in placed}
    forwarded["text"] = f"{note}\n\n{message.payload.get('text', '')}"
    forwarded |= group.placement()
    await outbox.enqueue(
        session,
        chat_id=group.chat_id,
        method="sendMessage",
        payload=forwarded,
        now=now,
        ref=ESCALATED.ref(above.id, ticket_id),
    )
    return group.chat_id
