"""The SLA sweep: warn before deadlines, escalate missed ones, remind about waiting residents.

``sweep_due_tickets`` handles one batch of due tickets inside the caller's
transaction (the scheduler job in ``scheduler/jobs.py`` runs batches until
nothing is due). For each ticket it decides what is due (``policy.decide``),
then applies the outcome with a conditional update: only the sweep that saw the
ticket's current escalation levels and check time wins, so nothing is escalated
twice at one level, however many sweeps run, late or at once. The ticket's
history gets one ``escalated`` event per level reached and one ``warned`` event
per notice; what people are told is announced (``ctx.announce``) in the same
transaction, one notice per chat (``escalations.Tidings``: digests when many).
A ticket's first escalation on the response or the resolution ladder also tells its
residents that the promise they were given is late (``TicketLate``; the policy's
``tell_residents_when_late``).

After downtime the first sweep catches up: each ladder jumps straight to the
highest level that is due, every group on the way is told once, with the real
lateness.
"""

from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncSession

from bot.services.context import Context
from bot.services.sla.deadlines import clock_of
from bot.services.sla.escalations import Tidings, load_people, load_units, messages_in
from bot.services.sla.notices import TicketLate
from bot.services.sla.policy import decide, plan_for
from storage import sla_queue
from storage.models import Ticket, TicketEvent, TicketEventKind

log = logging.getLogger(__name__)

DEFAULT_BATCH = 500
# A group that answered 403 is skipped for this long, then tried again.
INACTIVE_RECHECK = timedelta(hours=6)
# The promises a resident was given when filing (the update ladder is the staff's own).
TOLD_WHEN_LATE = ("response", "resolution")


@dataclass
class SweepResult:
    examined: int = 0
    escalations: int = 0
    notices: int = 0
    messages: int = 0
    lost_races: int = 0
    # Escalations by (ladder, level reached), for the metrics.
    levels: Counter[tuple[str, int]] = field(default_factory=Counter, compare=False)

    def add(self, other: SweepResult) -> None:
        for name in self.__dataclass_fields__:
            setattr(self, name, getattr(self, name) + getattr(other, name))


async def sweep_due_tickets(
    session: AsyncSession, ctx: Context, *, limit: int = DEFAULT_BATCH
) -> SweepResult:
    """Warn, escalate and remind for up to ``limit`` due tickets."""
    org, now = ctx.org, ctx.now
    result = SweepResult()
    tickets = await sla_queue.claim_due_tickets(session, now, limit)
    if not tickets:
        return result
    result.examined = len(tickets)
    units = await load_units(session)
    sent = await sla_queue.sent_notices(session, [t.id for t in tickets])
    tidings = Tidings(
        org=org,
        units=units,
        now=now,
        inactive=await sla_queue.inactive_chats(session, now - INACTIVE_RECHECK),
        people=await load_people(session, {t.assignee_id for t in tickets if t.assignee_id}),
    )
    events: list[dict] = []
    late: list[TicketLate] = []  # the residents' apologies
    for ticket in tickets:
        project = units.get(ticket.project_id)
        plan = plan_for(
            org,
            project.key if project else None,
            ticket.kind.value,
            ticket.category_key,
            bool(ticket.urgent),
            ticket.segment,
        )
        outcome = decide(clock_of(ticket), plan, now, sent.get(ticket.id, set()))
        won = await sla_queue.apply_outcome(
            session,
            ticket,
            response_level=outcome.levels["response"],
            resolution_level=outcome.levels["resolution"],
            next_check_at=outcome.next_check_at,
        )
        if not won:
            result.lost_races += 1
            continue
        for action in outcome.escalations:
            assert action.target is not None  # every escalation names its level's unit
            unit = tidings.escalate(
                ticket, action.ladder, action.level, action.target, action.deadline
            )
            events.append(
                _event(
                    ticket,
                    now,
                    TicketEventKind.ESCALATED,
                    {
                        "ladder": action.ladder,
                        "level": action.level,
                        "to": action.target,
                        "chat_id": unit.chat_id if unit else None,
                        "unit": unit.key if unit else None,
                        "deadline": action.deadline.isoformat(),
                        "late_seconds": int((now - action.deadline).total_seconds()),
                    },
                )
            )
            result.escalations += 1
            result.levels[(action.ladder, action.level)] += 1
            first = action.level == 1 and action.ladder in TOLD_WHEN_LATE
            if first and org.sla.tell_residents_when_late:
                late.append(TicketLate(ticket.id, action.ladder, action.deadline))
        for action in outcome.notices:
            if not await sla_queue.record_notice(
                session, ticket.id, action.ladder, action.deadline, now
            ):
                continue  # sent by someone else already
            tidings.notify(ticket, action.ladder, action.deadline)
            events.append(
                _event(
                    ticket,
                    now,
                    TicketEventKind.WARNED,
                    {"ladder": action.ladder, "deadline": action.deadline.isoformat()},
                )
            )
            result.notices += 1
    if events:
        await session.execute(insert(TicketEvent), events)
    notices = list(tidings.notices())
    await ctx.announce(session, *notices, *late)
    result.messages = messages_in(notices)
    if result.escalations or result.notices:
        log.info(
            "SLA sweep: %s escalations, %s warnings/reminders, %s messages (%s tickets)",
            result.escalations,
            result.notices,
            result.messages,
            result.examined,
        )
    return result


def _event(ticket: Ticket, now: datetime, kind: TicketEventKind, data: dict) -> dict:
    return {
        "ticket_id": ticket.id,
        "at": now,
        "actor_id": None,
        "kind": kind.value,
        "internal": True,
        "data": data,
    }
