"""Escalations, warnings and reminders about deadlines, for staff groups and assignees.

The sweep hands over everything due in one batch; messages are grouped per
chat: a few become one message each (with Take / Reassign / Details buttons),
many for the same chat become one digest, so a group is never flooded. Each
escalation goes to the group of the level's unit (project, region, HQ); a unit
without a reachable group passes it one level up. Times are shown in the
reader's timezone: the project's for its group and its staff, the
organisation's for regional and HQ groups.
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.callback_formats import staff_ticket_button
from bot.config.orgfile import Organisation
from bot.i18n import N_, pick_locale, translate
from bot.services import outbox
from bot.services.notifications.texts import category_name, kind_name, local_time
from storage.models import OrgLevel, OrgUnit, Person, Ticket

ESCALATION_REF = "esc:{unit_id}"
ESCALATION_REF_PREFIX = "esc:"
DIGEST_BUTTONS = 8
# A first-level escalation this late was missed by the sweep (the bot was down).
CATCH_UP_AFTER = timedelta(minutes=15)

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
DIGEST_HEADER = N_("🔺 <b>{count} overdue tickets</b> need attention:")
DIGEST_LINE = N_("• <b>{number}</b> · {what} · overdue by {late} · level {level} · {holder}")
WARNING = N_(
    "⏰ <b>{number}</b> · {kind} · {category}\n"
    "{what} is due in {left} (by {due}). Held by {holder}."
)
WARNING_DIGEST_HEADER = N_("⏰ <b>{count} tickets</b> are due soon:")
WARNING_LINE = N_("• <b>{number}</b> · {what} due in {left} (by {due}) · {holder}")
REMINDER = N_(
    "💬 <b>{number}</b>: the resident is waiting for an answer (it was due {due}). "
    "Held by {holder}."
)
REMINDER_LINE = N_("• <b>{number}</b> · the resident is waiting for an answer since {due}")
NOBODY = N_("nobody")
FORWARDED = N_("⚠️ Forwarded here: the group of {unit} could not be reached.")
BUTTONS = (("take", N_("Take")), ("reassign", N_("Reassign")), ("details", N_("Details")))
DAYS, HOURS, MINUTES = N_("{n}d"), N_("{n}h"), N_("{n}min")


def span(locale: str, amount: timedelta) -> str:
    """``1d 2h 5min`` in the reader's language, to the minute (rounded down)."""
    minutes = max(int(amount.total_seconds() // 60), 0)
    days, minutes = divmod(minutes, 24 * 60)
    hours, minutes = divmod(minutes, 60)
    parts = []
    if days:
        parts.append(translate(locale, DAYS, n=days))
    if hours:
        parts.append(translate(locale, HOURS, n=hours))
    if minutes or not parts:
        parts.append(translate(locale, MINUTES, n=minutes))
    return " ".join(parts)


@dataclass(frozen=True)
class Unit:
    id: int
    key: str
    name: str
    level: OrgLevel
    parent_id: int | None
    chat_id: int | None
    thread_id: int | None


async def load_units(session: AsyncSession) -> dict[int, Unit]:
    rows = (await session.scalars(select(OrgUnit).where(OrgUnit.active.is_(True)))).all()
    return {
        u.id: Unit(u.id, u.key, u.name, u.level, u.parent_id, u.group_chat_id, u.group_thread_id)
        for u in rows
    }


def chain(units: dict[int, Unit], unit_id: int | None) -> list[Unit]:
    """A unit and its parents: project → region → HQ."""
    found: list[Unit] = []
    while unit_id is not None and unit_id in units and len(found) < 8:
        found.append(units[unit_id])
        unit_id = units[unit_id].parent_id
    return found


def route(units: dict[int, Unit], project_id: int, target: str, inactive: set[int]) -> Unit | None:
    """The group an escalation for ``target`` reaches: that unit's, else the next one up."""
    levels = chain(units, project_id)
    wanted = {"project": OrgLevel.PROJECT, "region": OrgLevel.REGION, "hq": OrgLevel.HQ}[target]
    start = next((i for i, u in enumerate(levels) if u.level is wanted), len(levels) - 1)
    for unit in levels[max(start, 0) :]:
        if unit.chat_id is not None and unit.chat_id not in inactive:
            return unit
    return None


@dataclass
class Item:
    ticket: Ticket
    ladder: str
    deadline: datetime
    level: int = 0


@dataclass
class Mailbag:
    """Everything one sweep batch has to say, collected per recipient chat."""

    org: Organisation
    units: dict[int, Unit]
    now: datetime
    group_locale: str
    inactive: set[int] = field(default_factory=set)
    people: dict[int, Person] = field(default_factory=dict)
    # chat → (ticket, ladder) → the highest level reached for it in this batch
    escalations: dict[int, dict[tuple[int, str], Item]] = field(default_factory=dict)
    notices: dict[int, list[Item]] = field(default_factory=dict)  # chat → items
    chat_units: dict[int, Unit] = field(default_factory=dict)
    chat_locales: dict[int, str] = field(default_factory=dict)
    chat_zones: dict[int, ZoneInfo] = field(default_factory=dict)

    def escalate(self, ticket: Ticket, ladder: str, level: int, target: str, deadline: datetime):
        """Queue an escalation; returns the group unit it goes to (None: nowhere to send)."""
        unit = route(self.units, ticket.project_id, target, self.inactive)
        if unit is None or unit.chat_id is None:
            return None
        items = self.escalations.setdefault(unit.chat_id, {})
        current = items.get((ticket.id, ladder))
        if current is None or level > current.level:
            items[(ticket.id, ladder)] = Item(ticket, ladder, deadline, level)
        self._remember_chat(unit.chat_id, unit, self.group_locale, ticket)
        return unit

    def notify(self, ticket: Ticket, ladder: str, deadline: datetime) -> None:
        """A warning or reminder: to the assignee privately, else to the project group."""
        person = self.people.get(ticket.assignee_id) if ticket.assignee_id else None
        if person is not None and person.telegram_id and person.reachable:
            chat_id = person.telegram_id
            locale = pick_locale(person.language, person.telegram_language, self.group_locale)
            self._remember_chat(chat_id, None, locale, ticket)
        else:
            unit = route(self.units, ticket.project_id, "project", self.inactive)
            if unit is None or unit.chat_id is None:
                return
            chat_id = unit.chat_id
            self._remember_chat(chat_id, unit, self.group_locale, ticket)
        self.notices.setdefault(chat_id, []).append(Item(ticket, ladder, deadline))

    def _remember_chat(self, chat_id: int, unit: Unit | None, locale: str, ticket: Ticket) -> None:
        if unit is not None:
            self.chat_units[chat_id] = unit
        self.chat_locales.setdefault(chat_id, locale)
        if chat_id not in self.chat_zones:
            if unit is not None and unit.level is not OrgLevel.PROJECT:
                self.chat_zones[chat_id] = self.org.zone()
            else:
                project = self.units.get(ticket.project_id)
                self.chat_zones[chat_id] = self._zone(project.key if project else None)

    def _zone(self, project_key: str | None) -> ZoneInfo:
        try:
            return self.org.zone(project_key)
        except KeyError:
            return self.org.zone()

    # -- rendering -------------------------------------------------------------------

    def _holder(self, locale: str, ticket: Ticket) -> str:
        person = self.people.get(ticket.assignee_id) if ticket.assignee_id else None
        if person is None or not person.full_name:
            return translate(locale, NOBODY)
        return html.escape(person.full_name)

    def _project(self, ticket: Ticket) -> str:
        project = self.units.get(ticket.project_id)
        return html.escape(project.name) if project else "—"

    def _escalation_text(self, chat_id: int, item: Item) -> str:
        locale, zone, t = self.chat_locales[chat_id], self.chat_zones[chat_id], item.ticket
        return translate(
            locale,
            ESCALATION,
            number=t.number,
            kind=kind_name(locale, t.kind),
            category=html.escape(category_name(self.org, locale, t.category_key)),
            what=translate(locale, LADDER_NAMES[item.ladder]),
            late=span(locale, self.now - item.deadline),
            due=local_time(item.deadline, zone),
            level=item.level,
            project=self._project(t),
            holder=self._holder(locale, t),
        )

    def _digest_line(self, chat_id: int, item: Item) -> str:
        locale = self.chat_locales[chat_id]
        return translate(
            locale,
            DIGEST_LINE,
            number=item.ticket.number,
            what=translate(locale, LADDER_NAMES[item.ladder]),
            late=span(locale, self.now - item.deadline),
            level=item.level,
            holder=self._holder(locale, item.ticket),
        )

    def _notice_text(self, chat_id: int, item: Item, *, line: bool) -> str:
        locale, zone, t = self.chat_locales[chat_id], self.chat_zones[chat_id], item.ticket
        due = local_time(item.deadline, zone)
        if item.ladder == "update":
            return translate(
                locale,
                REMINDER_LINE if line else REMINDER,
                number=t.number,
                due=due,
                holder=self._holder(locale, t),
            )
        return translate(
            locale,
            WARNING_LINE if line else WARNING,
            number=t.number,
            kind=kind_name(locale, t.kind),
            category=html.escape(category_name(self.org, locale, t.category_key)),
            what=translate(locale, LADDER_NAMES[item.ladder]),
            left=span(locale, item.deadline - self.now),
            due=due,
            holder=self._holder(locale, t),
        )

    def _buttons(self, locale: str, ticket: Ticket) -> dict:
        row = [
            {
                "text": translate(locale, label),
                "callback_data": staff_ticket_button(action, ticket.id, ticket.version),
            }
            for action, label in BUTTONS
        ]
        return {"inline_keyboard": [row]}

    def _details_buttons(self, tickets: list[Ticket]) -> dict | None:
        buttons = [
            {"text": t.number, "callback_data": staff_ticket_button("details", t.id, t.version)}
            for t in tickets[:DIGEST_BUTTONS]
        ]
        if not buttons:
            return None
        return {"inline_keyboard": [buttons[i : i + 4] for i in range(0, len(buttons), 4)]}

    # -- sending ------------------------------------------------------------------------

    async def send(self, session: AsyncSession) -> int:
        """Queue the messages in the outbox; returns how many were queued."""
        threshold = self.org.sla.digest_threshold
        queued = 0
        for chat_id, by_ticket in self.escalations.items():
            items = sorted(by_ticket.values(), key=lambda i: (i.deadline, i.ticket.id))
            ref = self._ref(chat_id)
            if len(items) >= threshold or (len(items) > 1 and self._catching_up(items)):
                locale = self.chat_locales[chat_id]
                lines = [translate(locale, DIGEST_HEADER, count=len(items))]
                lines += [self._digest_line(chat_id, item) for item in items]
                queued += await self._queue(
                    session,
                    chat_id,
                    "\n".join(lines),
                    self._details_buttons([i.ticket for i in items]),
                    ref,
                )
                continue
            for item in items:
                queued += await self._queue(
                    session,
                    chat_id,
                    self._escalation_text(chat_id, item),
                    self._buttons(self.chat_locales[chat_id], item.ticket),
                    ref,
                )
        for chat_id, items in self.notices.items():
            locale = self.chat_locales[chat_id]
            if len(items) >= threshold:
                lines = [translate(locale, WARNING_DIGEST_HEADER, count=len(items))]
                lines += [self._notice_text(chat_id, item, line=True) for item in items]
                markup = self._details_buttons([i.ticket for i in items])
                queued += await self._queue(session, chat_id, "\n".join(lines), markup, None)
                continue
            for item in items:
                text = self._notice_text(chat_id, item, line=False)
                queued += await self._queue(
                    session, chat_id, text, self._buttons(locale, item.ticket), None
                )
        return queued

    def _catching_up(self, items: list[Item]) -> bool:
        """After downtime everything that fell due meanwhile comes as one digest."""
        return any(self.now - item.deadline > CATCH_UP_AFTER for item in items if item.level == 1)

    def _ref(self, chat_id: int) -> str | None:
        unit = self.chat_units.get(chat_id)
        return ESCALATION_REF.format(unit_id=unit.id) if unit is not None else None

    async def _queue(
        self,
        session: AsyncSession,
        chat_id: int,
        text: str,
        markup: dict | None,
        ref: str | None,
    ) -> int:
        payload: dict = {"text": text, "parse_mode": "HTML"}
        if markup is not None:
            payload["reply_markup"] = markup
        unit = self.chat_units.get(chat_id)
        if unit is not None and unit.thread_id:
            payload["message_thread_id"] = unit.thread_id
        await outbox.enqueue(
            session, chat_id=chat_id, method="sendMessage", payload=payload, now=self.now, ref=ref
        )
        return 1


async def load_people(session: AsyncSession, ids: set[int]) -> dict[int, Person]:
    if not ids:
        return {}
    rows = (await session.scalars(select(Person).where(Person.id.in_(ids)))).all()
    return {p.id: p for p in rows}


async def forward_up(
    session: AsyncSession,
    *,
    ref: str,
    payload: dict,
    now: datetime,
    locale: str,
    inactive: set[int],
) -> int | None:
    """An escalation the group refused (403) goes to the next unit up that has a group.

    Returns the chat it was forwarded to, or None when there is no one left above.
    """
    try:
        unit_id = int(ref.removeprefix(ESCALATION_REF_PREFIX))
    except ValueError:
        return None
    units = await load_units(session)
    levels = chain(units, unit_id)
    if not levels:
        return None
    for unit in levels[1:]:
        if unit.chat_id is None or unit.chat_id in inactive:
            continue
        note = translate(locale, FORWARDED, unit=html.escape(levels[0].name))
        text = f"{note}\n\n{payload.get('text', '')}"
        forwarded = {k: v for k, v in payload.items() if k != "message_thread_id"}
        forwarded["text"] = text
        if unit.thread_id:
            forwarded["message_thread_id"] = unit.thread_id
        await outbox.enqueue(
            session,
            chat_id=unit.chat_id,
            method="sendMessage",
            payload=forwarded,
            now=now,
            ref=ESCALATION_REF.format(unit_id=unit.id),
        )
        return unit.chat_id
    return None
