"""Buttons of moving a unit's staff desk to another group (``/bindgroup`` of a unit that
already has a group).

``gm:<verdict>:<unit>:<from chat>:<asker>``: pressed in the group the unit would move
to. ``from_chat`` is the group the unit was bound to when asked (a move confirmed after
the binding changed is refused); ``asked_by`` is the Telegram id of the manager who
sent ``/bindgroup``: only they may answer, which the server checks on every press,
with their right to manage the unit.
"""

from __future__ import annotations

import enum

from aiogram.filters.callback_data import CallbackData


class MoveVerdict(enum.StrEnum):
    CONFIRM = "ok"
    CANCEL = "no"


class GroupMove(CallbackData, prefix="gm"):
    action: MoveVerdict
    unit_id: int
    from_chat: int
    asked_by: int
