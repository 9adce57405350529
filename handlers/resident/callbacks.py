"""Inline-button data of the resident conversations (ids only; everything is re-checked)."""

from __future__ import annotations

from aiogram.filters.callback_data import CallbackData


class ConsentChoice(CallbackData, prefix="rc"):
    agree: bool


class FilingChoice(CallbackData, prefix="rf"):
    """A button of one filing conversation; ``flow`` tells old conversations' buttons apart."""

    flow: int
    what: str
    value: str = ""


class OfferChoice(CallbackData, prefix="ro"):
    """The answer to "shall I file this?" for a free-text message: a ticket kind or "no"."""

    flow: int
    kind: str


class TicketsPage(CallbackData, prefix="rl"):
    page: int


class FollowUpChoice(CallbackData, prefix="ru"):
    """In a comment / cancel / re-open prompt: "send" the collected photos or go "back"."""

    what: str
    ticket_id: int


class ProfileAction(CallbackData, prefix="rp"):
    """``what``: name, phone, language, add_unit, remove_unit."""

    what: str
    id: int = 0
