"""Conversation states of the surveys; the data holds ``survey_invitation_id``."""

from __future__ import annotations

from aiogram.fsm.state import State, StatesGroup

INVITATION = "survey_invitation_id"


class TicketFeedback(StatesGroup):
    buttons = State()  # a rating or reasons are open: expects a button press
    comment = State()  # the optional comment
    not_fixed_reason = State()  # why the problem is not fixed


class Questionnaire(StatesGroup):
    question = State()  # a campaign question is open
