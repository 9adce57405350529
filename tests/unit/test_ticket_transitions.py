"""The full transition table: every legal move, and every illegal one refused with a reason."""

from __future__ import annotations

import itertools

import pytest

from bot.services.tickets.transitions import (
    TRANSITIONS,
    IllegalTransition,
    TicketAction,
    allowed_actions,
    is_open,
    next_status,
)
from storage.models import TicketStatus as S

A = TicketAction
EXPECTED = {
    (S.NEW, A.TAKE): S.ACKNOWLEDGED,
    (S.ACKNOWLEDGED, A.START): S.IN_PROGRESS,
    (S.ACKNOWLEDGED, A.ASK_RESIDENT): S.WAITING_ON_RESIDENT,
    (S.IN_PROGRESS, A.ASK_RESIDENT): S.WAITING_ON_RESIDENT,
    (S.WAITING_ON_RESIDENT, A.RESIDENT_ANSWERED): S.IN_PROGRESS,
    (S.ACKNOWLEDGED, A.RESOLVE): S.RESOLVED,
    (S.IN_PROGRESS, A.RESOLVE): S.RESOLVED,
    (S.WAITING_ON_RESIDENT, A.RESOLVE): S.RESOLVED,
    (S.RESOLVED, A.CONFIRM): S.CLOSED,
    (S.RESOLVED, A.AUTO_CLOSE): S.CLOSED,
    (S.RESOLVED, A.REOPEN): S.IN_PROGRESS,
    (S.NEW, A.CANCEL): S.CANCELLED,
    (S.ACKNOWLEDGED, A.CANCEL): S.CANCELLED,
    (S.IN_PROGRESS, A.CANCEL): S.CANCELLED,
    (S.WAITING_ON_RESIDENT, A.CANCEL): S.CANCELLED,
}


def test_the_table_is_exactly_the_documented_machine() -> None:
    assert TRANSITIONS == EXPECTED


@pytest.mark.parametrize(("status", "action"), list(itertools.product(S, A)))
def test_every_status_and_action_pair(status: S, action: A) -> None:
    if (status, action) in EXPECTED:
        assert next_status(status, action) is EXPECTED[(status, action)]
        assert action in allowed_actions(status)
    else:
        with pytest.raises(IllegalTransition) as refused:
            next_status(status, action)
        assert refused.value.reason  # an explanation for the user
        assert action not in allowed_actions(status)


def test_final_statuses_allow_nothing() -> None:
    assert allowed_actions(S.CLOSED) == frozenset()
    assert allowed_actions(S.CANCELLED) == frozenset()
    assert not is_open(S.RESOLVED) and is_open(S.WAITING_ON_RESIDENT)
