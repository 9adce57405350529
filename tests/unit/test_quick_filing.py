"""The kind a clear message reads as, and the dangers that show the hotline first."""

from __future__ import annotations

import pytest

from bot.services.intake.emergency import sounds_dangerous
from bot.services.intake.quick import likely_kind
from storage.models import TicketKind

ALL = list(TicketKind)


@pytest.mark.parametrize(
    ("text", "kinds", "expected"),
    [
        ("厨房水龙头坏了关不紧", ALL, TicketKind.REPAIR),
        ("请问停水什么时候恢复?", ALL, TicketKind.INQUIRY),
        ("When will the water be back on?", ALL, TicketKind.INQUIRY),
        ("我要投诉楼上装修太吵", ALL, TicketKind.COMPLAINT),
        ("I want to complain about the rude guard", ALL, TicketKind.COMPLAINT),
        (
            "When will the leak be fixed?",
            [TicketKind.REPAIR, TicketKind.COMPLAINT],
            TicketKind.REPAIR,
        ),
        ("楼下广场舞太吵了", [TicketKind.COMPLAINT, TicketKind.INQUIRY], TicketKind.COMPLAINT),
    ],
)
def test_likely_kind(text: str, kinds: list[TicketKind], expected: TicketKind) -> None:
    assert likely_kind(text, kinds) is expected


@pytest.mark.parametrize(
    "text",
    ["厨房有煤气味", "电梯困人了", "家里水漫金山了", "插座冒火花", "楼道冒烟了",
     "I smell gas in the kitchen", "someone is trapped in the lift", "the basement is flooding",
     "sparks from the socket", "there is a fire in the bin room"],
)  # fmt: skip
def test_dangers(text: str) -> None:
    assert sounds_dangerous(text)


@pytest.mark.parametrize(
    "text",
    ["厨房水龙头坏了关不紧", "楼道灯坏了", "the fire door does not close", "my tap is dripping",
     "门禁卡失灵", "", "hello"],
)  # fmt: skip
def test_not_dangers(text: str) -> None:
    assert not sounds_dangerous(text)
