"""Buttons of the residents' private chat (the ticket family ``rt:`` is in ``tickets.py``).

Packed forms (unchanged, buttons already sent keep working)::

    rc:<agree>                     the privacy notice: agree (1) or not (0)
    rs                             a staff member registers as a resident too
    rf:<flow>:<step>:<value>       a step of one filing conversation
    ro:<flow>:<kind>               "shall I file this?" for a free-text message
    rw:<flow>:<ticket>             which open ticket a message is about (0: a new one)
    rl:<page>                      a page of "My tickets"
    rd:<ticket>:<page>             a page of one ticket's detail
    ru:<action>:<ticket>           send the photos of a comment, or go back
    rp:<action>:<id>               a profile button

``flow`` is the id of the conversation the button belongs to, so that buttons of
an earlier conversation are refused.
"""

from __future__ import annotations

import enum

from aiogram.filters.callback_data import CallbackData


class ConsentChoice(CallbackData, prefix="rc"):
    agree: bool


class ResidentSignUp(CallbackData, prefix="rs"):
    """Offered to staff at /start: they work with the bot without registering, and may
    register as residents of their own home too."""


class FilingAction(enum.StrEnum):
    CATEGORY = "cat"  # value: a category key, "" for "Other"
    UNIT = "unit"  # value: a property unit id
    AREA = "area"  # value: a project id (its common areas)
    PHOTOS_DONE = "photos_done"
    URGENT = "urgent"  # value: "1" or "0"
    SUBMIT = "submit"
    EDIT = "edit"
    BACK = "back"
    FIELD = "field"  # value: the field to change
    CANCEL = "cancel"
    JOIN = "join"  # value: the ticket id of a duplicate
    NEW = "new"  # file a new ticket despite the duplicates


class FilingChoice(CallbackData, prefix="rf"):
    flow: int
    what: FilingAction
    value: str = ""


NO_THANKS = "no"
FILE_AS_PROPOSED = "ok"  # the all-in-one proposal (kind, category, unit) is right
OTHER_KIND = "more"  # show the kinds to choose from instead


class OfferChoice(CallbackData, prefix="ro"):
    """``kind``: a ticket kind, or one of :data:`NO_THANKS`, :data:`FILE_AS_PROPOSED`,
    :data:`OTHER_KIND`."""

    flow: int
    kind: str


NEW_REQUEST = 0  # TicketChosen.ticket_id: not an open ticket, a new request


class TicketChosen(CallbackData, prefix="rw"):
    """Which ticket a message outside any conversation is about (0: a new request)."""

    flow: int
    ticket_id: int


class TicketsPage(CallbackData, prefix="rl"):
    page: int


class TicketDetailPage(CallbackData, prefix="rd"):
    """A page of one ticket's detail (a long description or history is paged)."""

    ticket_id: int
    page: int


class FollowUpAction(enum.StrEnum):
    SEND = "send"  # send the collected photos as the comment
    BACK = "back"


class FollowUpChoice(CallbackData, prefix="ru"):
    what: FollowUpAction
    ticket_id: int


class ProfileStep(enum.StrEnum):
    NAME = "name"
    PHONE = "phone"
    LANGUAGE = "language"
    ADD_UNIT = "add_unit"
    REMOVE_UNIT = "remove_unit"  # id: the property unit; asks first
    REMOVE_CONFIRMED = "unit_gone"  # id: the property unit
    PROFILE = "profile"  # the profile again (keep the unit)


class ProfileAction(CallbackData, prefix="rp"):
    what: ProfileStep
    id: int = 0
