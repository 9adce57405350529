"""Ticket buttons: the staff card, the resident's ticket, reassigning, changing the
category or urgency, the compose prompt, and queue paging.

Packed forms (unchanged, buttons already sent keep working)::

    tk:<action>:<ticket>:<version>              a staff card button
    rt:<action>:<ticket>:<version>              a resident's ticket button
    tka:<kind>:<ticket>:<version>:<target>      a reassign choice
    tkk:<action>:<ticket>:<version>:<category>  a category or urgency choice
    tkc:<action>:<ticket>                       a compose prompt button
    tkq:<scope>:<unit>:<page>                   a /queue or /mine page
    tkh:<ticket>:<page>                         a page of a ticket's history in Details
"""

from __future__ import annotations

import enum
from typing import TYPE_CHECKING

from aiogram.filters.callback_data import CallbackData
from aiogram.types import InlineKeyboardButton

if TYPE_CHECKING:
    from storage.models import Ticket


class CardAction(enum.StrEnum):
    TAKE = "take"
    REPLY = "reply"
    RESOLVE = "resolve"
    NOTE = "note"
    REASSIGN = "reassign"
    DETAILS = "details"
    START = "start"  # work begins: "in progress"
    CLASSIFY = "classify"  # change the category or urgency
    CANCEL = "cancel"  # cancel the ticket, with a reason
    OPEN = "open"  # a ticket's number in /queue: show its card


class StaffTicketAction(CallbackData, prefix="tk"):
    """A button on a ticket card. ``action`` stays a plain string so that a forged one
    still decodes and is refused (and audited) with the ticket it names."""

    action: str
    ticket_id: int
    version: int


class ResidentAction(enum.StrEnum):
    VIEW = "view"
    COMMENT = "comment"
    CANCEL = "cancel"
    REOPEN = "reopen"
    CONFIRM = "confirm"
    FIXED = "fixed"
    NOT_FIXED = "notfixed"


class ResidentTicketAction(CallbackData, prefix="rt"):
    """A button in a resident's private chat about one of their tickets."""

    action: str
    ticket_id: int
    version: int


def ticket_button(
    family: type[StaffTicketAction | ResidentTicketAction], action: str, ticket: Ticket, text: str
) -> InlineKeyboardButton:
    """A button of the staff's or the resident's family for the ticket as it is now (its
    version: a press on an older one is refused)."""
    data = family(action=action, ticket_id=ticket.id, version=ticket.version)
    return InlineKeyboardButton(text=text, callback_data=data.pack())


class ReassignKind(enum.StrEnum):
    PERSON = "person"
    PROJECT = "project"
    PROJECTS = "projects"  # list the projects to move to
    CANCEL = "cancel"  # close the menu


class ReassignTarget(CallbackData, prefix="tka"):
    kind: ReassignKind
    ticket_id: int
    version: int
    target_id: int


class ClassifyAction(enum.StrEnum):
    CATEGORY = "cat"
    URGENT = "urgent"
    NOT_URGENT = "normal"
    CLOSE = "close"  # close the menu


class ClassifyChoice(CallbackData, prefix="tkk"):
    """A choice in the "change category or urgency" menu; ``category`` is a category key."""

    action: ClassifyAction
    ticket_id: int
    version: int
    category: str = ""


class ComposeButton(enum.StrEnum):
    ASK = "ask"  # toggle: wait for the resident's answer
    SEND = "send"
    CANCEL = "cancel"


class ComposeAction(CallbackData, prefix="tkc"):
    action: ComposeButton
    ticket_id: int


class QueueScope(enum.StrEnum):
    QUEUE = "queue"
    MINE = "mine"


class QueuePage(CallbackData, prefix="tkq"):
    """Paging through /queue or /mine; ``unit_id`` 0 means all of the member's units."""

    scope: QueueScope
    unit_id: int
    page: int


class HistoryPage(CallbackData, prefix="tkh"):
    """Paging through a ticket's history under its Details; ``page`` 0 is the newest."""

    ticket_id: int
    page: int
