"""Typed inline-button data, decoded by aiogram.

The ticket buttons that services queue through the outbox are packed by
``bot/callback_formats.py`` (services never import aiogram); the classes here
must pack to exactly the same strings (a unit test checks it). Buttons carry
ids and the ticket's version only: who may press them is decided on the
server, again, on every press.
"""

from __future__ import annotations

from aiogram.filters.callback_data import CallbackData

from bot.callback_formats import RESIDENT_TICKET_PREFIX, STAFF_TICKET_PREFIX


class StaffTicketAction(CallbackData, prefix=STAFF_TICKET_PREFIX):
    """A button on a ticket card: take, reply, resolve, note, reassign, details."""

    action: str
    ticket_id: int
    version: int


class ResidentTicketAction(CallbackData, prefix=RESIDENT_TICKET_PREFIX):
    """A button in a resident's private chat about one of their tickets."""

    action: str
    ticket_id: int
    version: int


class ReassignTarget(CallbackData, prefix="tka"):
    """Where a ticket goes: ``kind`` is "person", "project" or "projects" (list them)."""

    kind: str
    ticket_id: int
    version: int
    target_id: int


class ComposeAction(CallbackData, prefix="tkc"):
    """A button on the prompt for a reply, note or resolution: "ask", "send", "cancel"."""

    action: str
    ticket_id: int


class QueuePage(CallbackData, prefix="tkq"):
    """Paging through /queue or /mine; ``unit_id`` 0 means all of the member's units."""

    scope: str
    unit_id: int
    page: int
