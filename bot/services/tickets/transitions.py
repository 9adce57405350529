"""The ticket status machine, enforced here and nowhere else.

    new → acknowledged → in_progress ⇄ waiting_on_resident → resolved → closed
    resolved → in_progress (re-opened: the resident says it is not fixed)
    any open status → cancelled (by the resident or staff, with a reason)

Staff may resolve from acknowledged/in_progress/waiting_on_resident (small jobs
are often fixed on the first visit).
"""

from __future__ import annotations

import enum

from bot.i18n import N_
from bot.services.errors import Refused
from storage.models import TicketStatus

S = TicketStatus


class TicketAction(enum.StrEnum):
    TAKE = "take"  # staff takes it: acknowledged + assigned
    START = "start"  # work begins
    ASK_RESIDENT = "ask_resident"  # staff wait for the resident's answer
    RESIDENT_ANSWERED = "resident_answered"
    RESOLVE = "resolve"
    CONFIRM = "confirm"  # the resident confirms the fix
    AUTO_CLOSE = "auto_close"  # no answer to "is it fixed?" in time
    REOPEN = "reopen"  # the resident says it is not fixed
    CANCEL = "cancel"


OPEN_STATUSES = frozenset({S.NEW, S.ACKNOWLEDGED, S.IN_PROGRESS, S.WAITING_ON_RESIDENT})
FINAL_STATUSES = frozenset({S.CLOSED, S.CANCELLED})
# The resident may still write about a resolved ticket: it waits for their word on the fix.
COMMENTABLE_STATUSES = OPEN_STATUSES | {S.RESOLVED}

TRANSITIONS: dict[tuple[TicketStatus, TicketAction], TicketStatus] = {
    # Taking a ticket someone already holds is a reassignment, not a take.
    (S.NEW, TicketAction.TAKE): S.ACKNOWLEDGED,
    (S.ACKNOWLEDGED, TicketAction.START): S.IN_PROGRESS,
    (S.IN_PROGRESS, TicketAction.ASK_RESIDENT): S.WAITING_ON_RESIDENT,
    (S.ACKNOWLEDGED, TicketAction.ASK_RESIDENT): S.WAITING_ON_RESIDENT,
    (S.WAITING_ON_RESIDENT, TicketAction.RESIDENT_ANSWERED): S.IN_PROGRESS,
    (S.ACKNOWLEDGED, TicketAction.RESOLVE): S.RESOLVED,
    (S.IN_PROGRESS, TicketAction.RESOLVE): S.RESOLVED,
    (S.WAITING_ON_RESIDENT, TicketAction.RESOLVE): S.RESOLVED,
    (S.RESOLVED, TicketAction.CONFIRM): S.CLOSED,
    (S.RESOLVED, TicketAction.AUTO_CLOSE): S.CLOSED,
    (S.RESOLVED, TicketAction.REOPEN): S.IN_PROGRESS,
    **{(status, TicketAction.CANCEL): S.CANCELLED for status in OPEN_STATUSES},
}

# Why an action is refused, by the status it was tried in (msgids, translated by the caller).
_REFUSALS: dict[TicketStatus, str] = {
    S.NEW: N_("Nobody has taken this ticket yet."),
    S.ACKNOWLEDGED: N_("This ticket has been taken but work has not started."),
    S.IN_PROGRESS: N_("This ticket is being worked on."),
    S.WAITING_ON_RESIDENT: N_("This ticket is waiting for the resident's answer."),
    S.RESOLVED: N_("This ticket is already resolved and waiting for the resident to confirm."),
    S.CLOSED: N_("This ticket is closed."),
    S.CANCELLED: N_("This ticket was cancelled."),
}


class IllegalTransition(Refused):
    """The action is not allowed in the ticket's current status."""

    code = "illegal_transition"

    def __init__(self, status: TicketStatus, action: TicketAction) -> None:
        super().__init__(_REFUSALS[status])
        self.status = status
        self.action = action


def next_status(status: TicketStatus, action: TicketAction) -> TicketStatus:
    try:
        return TRANSITIONS[(status, action)]
    except KeyError:
        raise IllegalTransition(status, action) from None


def allowed_actions(status: TicketStatus) -> frozenset[TicketAction]:
    return frozenset(action for (s, action) in TRANSITIONS if s is status)


def is_open(status: TicketStatus) -> bool:
    return status in OPEN_STATUSES


def takes_comments(status: TicketStatus) -> bool:
    """Whether the resident may add words to a ticket in ``status``."""
    return status in COMMENTABLE_STATUSES
