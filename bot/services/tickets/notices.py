"""What happened to a ticket, for the people who should hear of it.

The lifecycle announces these (``ctx.announce``); the presentation layer renders
each for its readers (``bot/presentation/outbound/staff.py`` and ``residents.py``).
They carry ids and the words people wrote, never how a message reads.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.services.context import Notice


@dataclass(frozen=True)
class TicketFiled(Notice):
    """A new ticket: its card (and the resident's photos) go to the project's group."""

    ticket_id: int
    photo_file_ids: tuple[str, ...] = ()


@dataclass(frozen=True)
class TicketChanged(Notice):
    """Anything on the card changed: the group's card is edited to show it."""

    ticket_id: int


@dataclass(frozen=True)
class TicketMoved(Notice):
    """The ticket moved to another project: a new card there; the old one says where."""

    ticket_id: int
    old_card_chat_id: int | None
    old_card_message_id: int | None
    old_project_id: int | None = None


@dataclass(frozen=True)
class TicketAssigned(Notice):
    """Someone handed the ticket to a colleague, who hears of it privately."""

    ticket_id: int
    assignee_id: int
    by_person_id: int | None


@dataclass(frozen=True)
class StatusChanged(Notice):
    """The residents of the ticket hear its new status (not the one who caused it)."""

    ticket_id: int
    except_person_id: int | None = None


@dataclass(frozen=True)
class StaffReplied(Notice):
    """Staff answered the residents (``asking``: and wait for their answer)."""

    ticket_id: int
    text: str
    photo_file_ids: tuple[str, ...] = ()
    asking: bool = False


@dataclass(frozen=True)
class AnsweredInPrivate(Notice):
    """An answer written in a private chat: the group sees it too, so colleagues know."""

    ticket_id: int
    author_id: int | None
    text: str


@dataclass(frozen=True)
class ResidentCommented(Notice):
    ticket_id: int
    text: str
    photo_file_ids: tuple[str, ...] = ()


@dataclass(frozen=True)
class TicketReopened(Notice):
    """The resident says it is not fixed."""

    ticket_id: int
    reason: str


@dataclass(frozen=True)
class CancelledByResident(Notice):
    """The resident withdrew the ticket: staff hear why, so nobody goes out for nothing."""

    ticket_id: int
    reason: str


@dataclass(frozen=True)
class TicketResolved(Notice):
    """The residents are asked whether it is fixed."""

    ticket_id: int
    what_was_done: str


@dataclass(frozen=True)
class CancelledByStaff(Notice):
    ticket_id: int
    reason: str


@dataclass(frozen=True)
class TicketReclassified(Notice):
    """Staff changed the category or urgency (deadlines follow from it)."""

    ticket_id: int
    category_changed: bool
    urgent_changed: bool
    deadlines_changed: bool = False
