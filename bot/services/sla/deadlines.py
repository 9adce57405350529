"""Deadlines stored on the ticket, set and moved as the ticket changes.

This first version counts clock hours (24/7, the manual's promise); business
calendars, warnings and the escalation ladder build on these same entry points.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from bot.orgfile import Organisation
from storage.models import Ticket


def _targets(ticket: Ticket, org: Organisation):
    return org.sla.targets_for(
        ticket.kind.value, ticket.category_key, urgent=ticket.urgent, segment=ticket.segment
    )


def _next_check(ticket: Ticket) -> datetime | None:
    candidates = []
    if ticket.first_responded_at is None and ticket.first_response_due_at is not None:
        candidates.append(ticket.first_response_due_at)
    if ticket.resolved_at is None and ticket.paused_at is None and ticket.resolution_due_at:
        candidates.append(ticket.resolution_due_at)
    return min(candidates) if candidates else None


def arm_new_ticket(ticket: Ticket, org: Organisation, now: datetime) -> None:
    targets = _targets(ticket, org)
    ticket.first_response_due_at = now + targets.first_response
    ticket.resolution_due_at = now + targets.resolution
    ticket.next_sla_check_at = _next_check(ticket)


def record_first_response(ticket: Ticket, now: datetime) -> None:
    if ticket.first_responded_at is None:
        ticket.first_responded_at = now
    ticket.next_sla_check_at = _next_check(ticket)


def pause(ticket: Ticket, now: datetime) -> None:
    """Waiting on the resident: the resolution clock stops."""
    if ticket.paused_at is None:
        ticket.paused_at = now
    ticket.next_sla_check_at = _next_check(ticket)


def resume(ticket: Ticket, now: datetime) -> None:
    """The resident answered: the clock runs again, with the paused time given back."""
    if ticket.paused_at is not None:
        paused = now - ticket.paused_at
        ticket.paused_seconds += int(paused.total_seconds())
        if ticket.resolution_due_at is not None:
            ticket.resolution_due_at += paused
        ticket.paused_at = None
    ticket.next_sla_check_at = _next_check(ticket)


def stop_on_resolve(ticket: Ticket, now: datetime) -> None:
    if ticket.paused_at is not None:
        resume(ticket, now)
    ticket.resolved_at = now
    ticket.next_sla_check_at = None


def rearm_after_reopen(ticket: Ticket, org: Organisation, now: datetime) -> None:
    """Not fixed after all: a fresh resolution target from now, the ladder starts over."""
    ticket.resolved_at = None
    ticket.resolution_due_at = now + _targets(ticket, org).resolution
    ticket.resolution_escalation_level = 0
    ticket.next_sla_check_at = _next_check(ticket)


def stop_all(ticket: Ticket) -> None:
    ticket.next_sla_check_at = None


def overdue_by(due: datetime | None, now: datetime) -> timedelta | None:
    return now - due if due is not None and now > due else None
