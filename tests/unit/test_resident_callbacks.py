"""The unit-request buttons keep the packed format of buttons already sent."""

from __future__ import annotations

from bot.presentation.buttons.binding import BindingDecision, Verdict
from bot.presentation.buttons.residents import FilingChoice


def test_binding_buttons_match_the_handler_format() -> None:
    for action, packed in ((Verdict.APPROVE, "ub:ok:42"), (Verdict.REJECT, "ub:no:42")):
        assert packed == BindingDecision(action=action, request_id=42).pack()
        assert BindingDecision.unpack(packed) == BindingDecision(action=action, request_id=42)


def test_filing_buttons_fit_telegrams_limit() -> None:
    longest = FilingChoice(flow=2**31, what="photos_done", value="x" * 32).pack()
    assert len(longest.encode()) <= 64
