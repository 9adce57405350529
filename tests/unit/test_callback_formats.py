"""Our typed CallbackData classes pack to the strings buttons already sent carry."""

from __future__ import annotations

import pytest

from bot.presentation.buttons.tickets import (
    ComposeAction,
    QueuePage,
    ReassignTarget,
    ResidentTicketAction,
    StaffTicketAction,
)
from bot.presentation.staff.card import CARD_BUTTONS


def staff_ticket_button(action: str, ticket_id: int, version: int) -> str:
    return f"tk:{action}:{ticket_id}:{version}"


def resident_ticket_button(action: str, ticket_id: int, version: int) -> str:
    return f"rt:{action}:{ticket_id}:{version}"


@pytest.mark.parametrize("action", [action for action, _label in CARD_BUTTONS])
def test_staff_card_buttons_pack_and_unpack_the_same(action: str) -> None:
    packed = staff_ticket_button(action, 42, 7)
    assert StaffTicketAction(action=action, ticket_id=42, version=7).pack() == packed
    assert StaffTicketAction.unpack(packed) == StaffTicketAction(
        action=action, ticket_id=42, version=7
    )


@pytest.mark.parametrize("action", ["fixed", "notfixed"])
def test_resident_buttons_pack_and_unpack_the_same(action: str) -> None:
    packed = resident_ticket_button(action, 9, 3)
    assert ResidentTicketAction(action=action, ticket_id=9, version=3).pack() == packed
    assert ResidentTicketAction.unpack(packed).ticket_id == 9


def test_prefixes_do_not_overlap() -> None:
    """aiogram matches a class by prefix: one press must never decode as another class."""
    samples = {
        StaffTicketAction: StaffTicketAction(action="take", ticket_id=1, version=1).pack(),
        ResidentTicketAction: ResidentTicketAction(action="fixed", ticket_id=1, version=1).pack(),
        ReassignTarget: ReassignTarget(kind="person", ticket_id=1, version=1, target_id=2).pack(),
        ComposeAction: ComposeAction(action="send", ticket_id=1).pack(),
        QueuePage: QueuePage(scope="queue", unit_id=0, page=1).pack(),
    }
    for cls, packed in samples.items():
        assert len(packed.encode()) <= 64  # Telegram's limit for callback_data
        for other in samples:
            if other is not cls:
                with pytest.raises((TypeError, ValueError)):
                    other.unpack(packed)
