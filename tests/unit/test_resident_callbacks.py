"""The unit-request buttons queued by a service decode with the handler's callback class."""

from __future__ import annotations

from bot.services.unit_binding import APPROVE, REJECT, binding_button
from handlers.resident.callbacks import BindingDecision, FilingChoice


def test_binding_buttons_match_the_handler_format() -> None:
    for action in (APPROVE, REJECT):
        packed = binding_button(action, 42)
        assert packed == BindingDecision(action=action, request_id=42).pack()
        assert BindingDecision.unpack(packed) == BindingDecision(action=action, request_id=42)


def test_filing_buttons_fit_telegrams_limit() -> None:
    longest = FilingChoice(flow=2**31, what="photos_done", value="x" * 32).pack()
    assert len(longest.encode()) <= 64
