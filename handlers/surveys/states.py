"""Conversation states of the surveys; the data holds ``survey_invitation_id`` (and
the message id of the question open: the comment question, the questionnaire's)."""

from __future__ import annotations

from aiogram.fsm.state import State, StatesGroup

INVITATION = "survey_invitation_id"
# The comment question's message: its Skip goes once the comment is written.
COMMENT_PROMPT = "survey_comment_prompt_id"
# The questionnaire's open question: a written answer takes its buttons off.
QUESTION_PROMPT = "survey_question_prompt_id"


class TicketFeedback(StatesGroup):
    buttons = State()  # a rating or reasons are open: expects a button press
    comment = State()  # the optional comment
    not_fixed_reason = State()  # why the problem is not fixed


class Questionnaire(StatesGroup):
    question = State()  # a campaign question is open
