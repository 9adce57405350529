"""What the SLA policy means for one ticket: its deadlines and what is due when.

Pure functions over plain values, shared by the lifecycle hooks
(``deadlines.py``) and the sweep (``sweep.py``):

- :func:`plan_for` picks a ticket's targets, calendar, ladders and warning;
- :func:`deadlines_from_history` recomputes deadlines from what happened
  (created, paused and resumed, re-opened): a policy or category change gives the
  same result as if the new policy had applied from the start;
- :func:`pending_actions` lists the warnings, escalations and update reminders
  still to come, and :func:`next_check` says when the sweep must look next.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Literal

from bot.config.orgfile.models import EscalationLadders, Organisation, SlaTargets, SlaWarning
from bot.services.sla.calendars import ALWAYS_OPEN, Calendar, business_hours

Ladder = Literal["response", "resolution"]
LADDERS: tuple[Ladder, ...] = ("response", "resolution")
UPDATE = "update"
ZERO = timedelta(0)


def ceil_second(moment: datetime) -> datetime:
    """Deadlines are whole seconds, rounded up: never earlier than promised."""
    if moment.microsecond:
        moment += timedelta(microseconds=1_000_000 - moment.microsecond)
    return moment.astimezone(UTC)


@dataclass(frozen=True)
class Plan:
    """Everything the SLA policy says about one ticket."""

    targets: SlaTargets
    calendar: Calendar
    ladders: EscalationLadders
    warning: SlaWarning | None
    calendar_name: str | None = None  # None: 24/7

    def target(self, ladder: str) -> timedelta | None:
        if ladder == "response":
            return self.targets.first_response
        if ladder == "resolution":
            return self.targets.resolution
        return self.targets.update


# Calendars are built once per organisation file (holiday tables are not free).
_CALENDARS: OrderedDict[int, tuple[Organisation, dict[str, Calendar]]] = OrderedDict()


def calendar_for(org: Organisation, project_key: str | None) -> tuple[str | None, Calendar]:
    if project_key is None:
        return None, ALWAYS_OPEN
    found = org.sla.calendar_for(project_key)
    if found is None:
        return None, ALWAYS_OPEN
    name, config = found
    entry = _CALENDARS.get(id(org))
    if entry is None or entry[0] is not org:
        entry = (org, {})
        _CALENDARS[id(org)] = entry
        while len(_CALENDARS) > 8:
            _CALENDARS.popitem(last=False)
    calendars = entry[1]
    if project_key not in calendars:
        calendars[project_key] = business_hours(config, org.zone(project_key))
    return name, calendars[project_key]


def plan_for(
    org: Organisation,
    project_key: str | None,
    kind: str,
    category: str | None,
    urgent: bool,
    segment: str | None,
) -> Plan:
    name, calendar = calendar_for(org, project_key)
    return Plan(
        targets=org.sla.targets_for(kind, category, urgent=urgent, segment=segment),
        calendar=calendar,
        ladders=org.sla.escalation,
        warning=org.sla.warning,
        calendar_name=name,
    )


# ------------------------------------------------------------------ deadlines


@dataclass(frozen=True)
class SlaHistory:
    """The facts deadlines are computed from, read from a ticket's history."""

    created_at: datetime
    # When the current resolution clock started: creation, or the last re-open.
    resolution_started_at: datetime
    # Waiting-on-resident periods since then; the last one may still be open (end None).
    pauses: tuple[tuple[datetime, datetime | None], ...] = ()
    # The oldest resident message staff have not answered yet, if any.
    awaiting_answer_since: datetime | None = None


@dataclass(frozen=True)
class Deadlines:
    first_response_due_at: datetime
    resolution_due_at: datetime
    update_due_at: datetime | None


def deadlines_from_history(history: SlaHistory, plan: Plan) -> Deadlines:
    """Deadlines as if ``plan`` had applied all along.

    Resolution time stops while the ticket waits on the resident: the counted
    time of every finished pause is added to the target. While a pause is still
    open the deadline stays where it was when the pause began; resuming moves it
    (see :func:`resume_deadline`), which gives the same result.
    """
    calendar = plan.calendar
    paused = ZERO
    for start, end in history.pauses:
        if end is not None:
            paused += calendar.between(start, end)
    update_due = None
    if history.awaiting_answer_since is not None and plan.targets.update is not None:
        update_due = ceil_second(calendar.add(history.awaiting_answer_since, plan.targets.update))
    return Deadlines(
        first_response_due_at=ceil_second(
            calendar.add(history.created_at, plan.targets.first_response)
        ),
        resolution_due_at=ceil_second(
            calendar.add(history.resolution_started_at, plan.targets.resolution + paused)
        ),
        update_due_at=update_due,
    )


def resume_deadline(due: datetime, paused_at: datetime, now: datetime, plan: Plan) -> datetime:
    """The resolution deadline after a pause from ``paused_at`` to ``now``.

    The counted time that was left at the pause (negative when already late) is
    left again from now.
    """
    left = plan.calendar.between(paused_at, due)
    return ceil_second(plan.calendar.add(now, left))


# ------------------------------------------------------------------ what is due


@dataclass(frozen=True)
class TicketClock:
    """The SLA-relevant state of a ticket."""

    is_open: bool
    first_response_due_at: datetime | None
    first_responded_at: datetime | None
    resolution_due_at: datetime | None
    resolved_at: datetime | None
    paused_at: datetime | None
    update_due_at: datetime | None
    response_level: int
    resolution_level: int

    def level(self, ladder: str) -> int:
        return self.response_level if ladder == "response" else self.resolution_level

    def running_deadline(self, ladder: str) -> datetime | None:
        """The ladder's deadline while its clock runs, else None."""
        if not self.is_open:
            return None
        if ladder == "response":
            return self.first_response_due_at if self.first_responded_at is None else None
        if ladder == "resolution":
            if self.resolved_at is None and self.paused_at is None:
                return self.resolution_due_at
            return None
        # A resident's follow-up is owed an answer once the ticket has had its first
        # response: before that the response ladder is already about answering them.
        if self.paused_at is not None or self.first_responded_at is None:
            return None
        return self.update_due_at


ActionKind = Literal["warn", "escalate", "remind"]


@dataclass(frozen=True)
class Action:
    kind: ActionKind
    ladder: str  # "response" | "resolution" | "update"
    at: datetime  # when it is due
    deadline: datetime
    level: int = 0  # escalations: the level reached
    target: str | None = None  # escalations: "project" | "region" | "hq"

    @property
    def notice_key(self) -> tuple[str, datetime]:
        """Warnings and reminders are sent once per ladder and deadline."""
        return self.ladder, self.deadline


@dataclass
class Outcome:
    """What a sweep does to one ticket at one moment."""

    escalations: list[Action] = field(default_factory=list)
    notices: list[Action] = field(default_factory=list)  # warnings and update reminders
    levels: dict[str, int] = field(default_factory=dict)
    next_check_at: datetime | None = None


def pending_actions(clock: TicketClock, plan: Plan) -> list[Action]:
    """Every warning, escalation and reminder still to come (sent notices included)."""
    actions: list[Action] = []
    for ladder in LADDERS:
        deadline = clock.running_deadline(ladder)
        if deadline is None:
            continue
        level = clock.level(ladder)
        if level == 0 and plan.warning is not None:
            target = plan.target(ladder) or ZERO
            lead = plan.warning.lead(target)
            if ZERO < lead < target:
                warn_at = plan.calendar.add(deadline, -lead)
                actions.append(Action("warn", ladder, warn_at, deadline))
        for number, step in enumerate(plan.ladders.for_ladder(ladder), start=1):
            if number <= level:
                continue
            at = deadline if step.offset == ZERO else plan.calendar.add(deadline, step.offset)
            actions.append(Action("escalate", ladder, at, deadline, number, step.to))
    update_due = clock.running_deadline(UPDATE)
    if update_due is not None:
        actions.append(Action("remind", UPDATE, update_due, update_due))
    return actions


def next_check(
    clock: TicketClock, plan: Plan, sent: set[tuple[str, datetime]] | None = None
) -> datetime | None:
    """When the sweep must look at the ticket next (None: never).

    Without ``sent`` (the lifecycle hooks do not look it up) a warning counts as
    pending until its ladder escalates; the sweep then skips it if it was sent.
    """
    times = [
        action.at
        for action in pending_actions(clock, plan)
        if sent is None or action.kind == "escalate" or action.notice_key not in sent
    ]
    return min(times) if times else None


def decide(
    clock: TicketClock, plan: Plan, now: datetime, sent: set[tuple[str, datetime]]
) -> Outcome:
    """What is due at ``now``: escalations (all due levels at once) and notices.

    A warning whose deadline has already passed is not sent: the escalation at
    that deadline says more. Catch-up after downtime therefore gives, per ladder,
    one jump to the highest level that is due.
    """
    outcome = Outcome(levels={ladder: clock.level(ladder) for ladder in LADDERS})
    pending = [
        a for a in pending_actions(clock, plan) if a.kind == "escalate" or a.notice_key not in sent
    ]
    due = [a for a in pending if a.at <= now]
    for ladder in LADDERS:
        escalations = [a for a in due if a.kind == "escalate" and a.ladder == ladder]
        if escalations:
            outcome.escalations += escalations
            outcome.levels[ladder] = max(a.level for a in escalations)
    escalated = {a.ladder for a in outcome.escalations}
    outcome.notices = [
        a
        for a in due
        if a.kind != "escalate" and a.ladder not in escalated and now < a.deadline + _grace(a)
    ]
    after = replace(
        clock,
        response_level=outcome.levels["response"],
        resolution_level=outcome.levels["resolution"],
    )
    done = sent | {a.notice_key for a in due if a.kind != "escalate"}
    outcome.next_check_at = next_check(after, plan, done)
    return outcome


def _grace(action: Action) -> timedelta:
    # A reminder that the resident is waiting is still worth sending late; a
    # warning "due soon" after the deadline is not.
    return timedelta(days=3650) if action.kind == "remind" else ZERO
