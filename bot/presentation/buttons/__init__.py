"""Every inline button the bot shows: one aiogram ``CallbackData`` class per family,
with an ``enum.StrEnum`` of its actions, used both by the handlers that decode a press
(``Family.filter(F.action == Action.X)``) and by the renderers that pack it.

Buttons carry ids (and a ticket's version) only: who may press them is decided on
the server, again, on every press. The packed strings are part of the protocol:
buttons already sent must keep working, so prefixes and field order never change.
"""

from __future__ import annotations

from typing import Any

from aiogram.types import InlineKeyboardMarkup


def as_payload(markup: InlineKeyboardMarkup) -> dict[str, Any]:
    """A keyboard as the outbox stores it (the Bot API's JSON)."""
    return markup.model_dump(mode="json", exclude_none=True)
