"""Which buttons a staff card offers in each status: derived from the transition table."""

from __future__ import annotations

import pytest

from bot.presentation.buttons.tickets import CardAction
from bot.presentation.staff.card import CARD_BUTTONS, card_keyboard, shows
from storage.models import Ticket, TicketStatus

S = TicketStatus
A = CardAction


def _ticket(status: TicketStatus, assignee: int | None = 7) -> Ticket:
    return Ticket(id=1, version=3, status=status, assignee_id=assignee)


def _offered(ticket: Ticket) -> list[CardAction]:
    return [action for action, _label in CARD_BUTTONS if shows(action, ticket)]


@pytest.mark.parametrize(
    ("status", "offered"),
    [
        (S.NEW, [A.TAKE, A.REPLY, A.NOTE, A.REASSIGN, A.DETAILS, A.CLASSIFY, A.CANCEL]),
        (
            S.ACKNOWLEDGED,
            [A.REPLY, A.RESOLVE, A.NOTE, A.REASSIGN, A.DETAILS, A.START, A.CLASSIFY, A.CANCEL],
        ),
        (S.IN_PROGRESS, [A.REPLY, A.RESOLVE, A.NOTE, A.REASSIGN, A.DETAILS, A.CLASSIFY, A.CANCEL]),
        (
            S.WAITING_ON_RESIDENT,
            [A.REPLY, A.RESOLVE, A.NOTE, A.REASSIGN, A.DETAILS, A.CLASSIFY, A.CANCEL],
        ),
        (S.RESOLVED, [A.NOTE, A.DETAILS]),  # re-opening is the resident's, never on a card
        (S.CLOSED, [A.DETAILS]),
        (S.CANCELLED, [A.DETAILS]),
    ],
)
def test_a_card_offers_what_the_status_allows(
    status: TicketStatus, offered: list[CardAction]
) -> None:
    assert _offered(_ticket(status, assignee=None if status is S.NEW else 7)) == offered


def test_an_open_ticket_nobody_holds_can_be_taken() -> None:
    """Moved here from another project: in progress, but held by nobody."""
    assert A.TAKE in _offered(_ticket(S.IN_PROGRESS, assignee=None))


def test_the_keyboard_keeps_the_rows_and_drops_empty_ones() -> None:
    rows = card_keyboard(_ticket(S.CLOSED), "en").inline_keyboard
    assert [[b.text for b in row] for row in rows] == [["Details"]]
    rows = card_keyboard(_ticket(S.ACKNOWLEDGED), "en").inline_keyboard
    assert [[b.text for b in row] for row in rows] == [
        ["Reply", "Resolve"],
        ["Note", "Reassign", "Details"],
        ["Start work", "Change category", "Cancel ticket"],
    ]
