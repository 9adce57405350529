"""Deadlines from history (pause, resume, re-open, policy change) and what falls due when."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from pydantic import ValidationError

from bot.config.orgfile import SlaPolicy
from bot.config.orgfile.models import SlaCalendar
from bot.services.sla.calendars import ALWAYS_OPEN, business_hours
from bot.services.sla.policy import (
    Plan,
    SlaHistory,
    TicketClock,
    ceil_second,
    deadlines_from_history,
    decide,
    next_check,
    pending_actions,
    resume_deadline,
)

H = timedelta(hours=1)
SHANGHAI = ZoneInfo("Asia/Shanghai")
T0 = datetime(2026, 11, 2, 1, 0, tzinfo=UTC)  # Monday 09:00 in Shanghai
OFFICE = business_hours(
    SlaCalendar.model_validate(
        {
            "projects": ["p"],
            "hours": {d: "09:00-18:00" for d in ("mon", "tue", "wed", "thu", "fri")},
        }
    ),
    SHANGHAI,
)


def plan(policy: dict | None = None, *, kind: str = "complaint", calendar=ALWAYS_OPEN) -> Plan:
    sla = SlaPolicy.model_validate(policy or {})
    return Plan(sla.targets_for(kind), calendar, sla.escalation, sla.warning)


def clock(**fields) -> TicketClock:
    values = {
        "is_open": True,
        "first_response_due_at": T0 + 24 * H,
        "first_responded_at": None,
        "resolution_due_at": T0 + 48 * H,
        "resolved_at": None,
        "paused_at": None,
        "update_due_at": None,
        "response_level": 0,
        "resolution_level": 0,
    }
    return TicketClock(**(values | fields))


# ------------------------------------------------------------------ deadlines


def test_new_complaint_gets_the_manuals_24h_and_48h() -> None:
    deadlines = deadlines_from_history(SlaHistory(T0, T0), plan())
    assert deadlines.first_response_due_at == T0 + 24 * H
    assert deadlines.resolution_due_at == T0 + 48 * H
    assert deadlines.update_due_at is None


def test_deadlines_are_rounded_up_to_the_second() -> None:
    created = T0 + timedelta(microseconds=250_000)
    assert deadlines_from_history(SlaHistory(created, created), plan()).resolution_due_at == (
        T0 + 48 * H + timedelta(seconds=1)
    )
    assert ceil_second(T0) == T0


def test_pause_and_resume_give_the_paused_time_back() -> None:
    p = plan()
    due = T0 + 48 * H
    resumed = resume_deadline(due, T0 + 10 * H, T0 + 20 * H, p)
    assert resumed == T0 + 58 * H
    history = SlaHistory(T0, T0, pauses=((T0 + 10 * H, T0 + 20 * H),))
    assert deadlines_from_history(history, p).resolution_due_at == resumed


def test_a_pause_over_a_night_gives_back_only_business_hours() -> None:
    p = plan(calendar=OFFICE)
    created = T0  # Monday 09:00
    due = deadlines_from_history(SlaHistory(created, created), p).resolution_due_at
    assert due == datetime(2026, 11, 9, 4, 0, tzinfo=UTC)  # 5 × 9 h + 3 h: next Monday 12:00
    # Waiting on the resident from Monday 17:00 to Tuesday 10:00 is 2 office hours.
    paused_at, resumed_at = T0 + 8 * H, T0 + 25 * H
    after = resume_deadline(due, paused_at, resumed_at, p)
    assert after == due + 2 * H
    history = SlaHistory(created, created, pauses=((paused_at, resumed_at),))
    assert deadlines_from_history(history, p).resolution_due_at == after


def test_pausing_after_the_deadline_keeps_the_lateness() -> None:
    p = plan()
    due = T0 + 48 * H
    after = resume_deadline(due, T0 + 50 * H, T0 + 60 * H, p)
    assert after == T0 + 58 * H  # still 2 h late on resuming
    history = SlaHistory(T0, T0, pauses=((T0 + 50 * H, T0 + 60 * H),))
    assert deadlines_from_history(history, p).resolution_due_at == after


def test_a_reopened_ticket_gets_a_fresh_resolution_target_from_the_reopening() -> None:
    reopened = T0 + 100 * H
    history = SlaHistory(T0, reopened, pauses=())
    deadlines = deadlines_from_history(history, plan())
    assert deadlines.resolution_due_at == reopened + 48 * H
    assert deadlines.first_response_due_at == T0 + 24 * H


def test_a_policy_change_recomputes_from_the_history() -> None:
    history = SlaHistory(
        T0, T0, pauses=((T0 + 2 * H, T0 + 5 * H),), awaiting_answer_since=T0 + 6 * H
    )
    old = deadlines_from_history(history, plan())
    stricter = plan({"first_response": "4h", "resolution": "12h", "update": "2h"})
    new = deadlines_from_history(history, stricter)
    assert (old.first_response_due_at, old.resolution_due_at) == (T0 + 24 * H, T0 + 51 * H)
    assert new.first_response_due_at == T0 + 4 * H
    assert new.resolution_due_at == T0 + 15 * H  # 12 h + the 3 h paused
    assert new.update_due_at == T0 + 8 * H


def test_an_open_pause_freezes_the_deadline_where_the_pause_began() -> None:
    history = SlaHistory(T0, T0, pauses=((T0 + 2 * H, None),))
    assert deadlines_from_history(history, plan()).resolution_due_at == T0 + 48 * H


# ------------------------------------------------------------------ what is due


def test_complaint_ladders_warning_and_levels() -> None:
    actions = pending_actions(clock(), plan())
    response = [(a.kind, a.at - T0, a.target) for a in actions if a.ladder == "response"]
    assert response == [
        ("warn", 18 * H, None),  # 75 % of 24 h
        ("escalate", 24 * H, "project"),
        ("escalate", 32 * H, "region"),
        ("escalate", 48 * H, "hq"),
    ]
    resolution = [(a.kind, a.level, a.at - T0) for a in actions if a.ladder == "resolution"]
    assert resolution == [
        ("warn", 0, 36 * H),
        ("escalate", 1, 48 * H),
        ("escalate", 2, 60 * H),
        ("escalate", 3, 72 * H),
        ("escalate", 4, 120 * H),
    ]
    assert next_check(clock(), plan()) == T0 + 18 * H


def test_a_warning_a_fixed_time_before() -> None:
    p = plan({"warning": {"before": "2h"}})
    warn = next(a for a in pending_actions(clock(), p) if a.kind == "warn")
    assert warn.at == T0 + 22 * H
    # A warning longer than the target itself is never sent.
    short = plan({"warning": {"before": "30h"}})
    assert next(a for a in pending_actions(clock(), short) if a.ladder == "response").kind == (
        "escalate"
    )


def test_warning_settings_are_validated() -> None:
    with pytest.raises(ValidationError, match="exactly one"):
        SlaPolicy.model_validate({"warning": {"before": "2h", "percent": 75}})
    with pytest.raises(ValidationError, match="later than the one before"):
        SlaPolicy.model_validate(
            {"escalation": {"response": [{"to": "project", "after": "2h"}, {"to": "hq"}]}}
        )


def test_responding_stops_the_response_ladder_only() -> None:
    answered = clock(first_responded_at=T0 + H)
    assert {a.ladder for a in pending_actions(answered, plan())} == {"resolution"}
    resolved = clock(first_responded_at=T0 + H, resolved_at=T0 + 2 * H)
    assert pending_actions(resolved, plan()) == []
    assert next_check(resolved, plan()) is None


def test_a_paused_ticket_has_no_resolution_actions() -> None:
    paused = clock(first_responded_at=T0 + H, paused_at=T0 + 2 * H)
    assert pending_actions(paused, plan()) == []


def test_decide_warns_then_escalates_one_level_at_a_time() -> None:
    p = plan()
    at_warning = decide(clock(), p, T0 + 18 * H, set())
    assert [(a.kind, a.ladder) for a in at_warning.notices] == [("warn", "response")]
    assert at_warning.escalations == [] and at_warning.next_check_at == T0 + 24 * H
    sent = {("response", T0 + 24 * H)}
    at_deadline = decide(clock(), p, T0 + 24 * H, sent)
    assert [(a.level, a.target) for a in at_deadline.escalations] == [(1, "project")]
    assert at_deadline.levels == {"response": 1, "resolution": 0}
    assert at_deadline.next_check_at == T0 + 32 * H
    again = decide(clock(response_level=1), p, T0 + 24 * H, sent)
    assert again.escalations == [] and again.notices == []


def test_catching_up_after_downtime_jumps_to_the_highest_due_level_once() -> None:
    outcome = decide(clock(), plan(), T0 + 72 * H, set())
    assert [(a.ladder, a.level) for a in outcome.escalations] == [
        ("response", 1),
        ("response", 2),
        ("response", 3),
        ("resolution", 1),
        ("resolution", 2),
        ("resolution", 3),
    ]
    assert outcome.notices == []  # warnings for deadlines already missed say nothing new
    assert outcome.levels == {"response": 3, "resolution": 3}
    assert outcome.next_check_at == T0 + 120 * H


def test_update_reminder_when_the_resident_waits_for_an_answer() -> None:
    waiting = clock(first_responded_at=T0 + H, update_due_at=T0 + 5 * H)
    outcome = decide(waiting, plan(), T0 + 6 * H, set())
    assert [(a.kind, a.ladder) for a in outcome.notices] == [("remind", "update")]
    later = decide(waiting, plan(), T0 + 7 * H, {("update", T0 + 5 * H)})
    assert later.notices == []


def test_no_update_reminder_before_the_first_response() -> None:
    """A follow-up on a ticket nobody has answered yet: the response ladder is what is
    owed (one message about it, not two); once responded to, the reminder comes."""
    unanswered = clock(update_due_at=T0 + 5 * H)
    outcome = decide(unanswered, plan(), T0 + 6 * H, set())
    assert [(a.kind, a.ladder) for a in outcome.notices] == []
    responded = clock(first_responded_at=T0 + 7 * H, update_due_at=T0 + 5 * H)
    outcome = decide(responded, plan(), T0 + 7 * H, set())
    assert [(a.kind, a.ladder) for a in outcome.notices] == [("remind", "update")]
