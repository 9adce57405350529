"""Survey buttons: ``sv:<action>:<target id>:<position>:<value>``.

The target is an invitation, or the follow-up ticket for ``followup``. Buttons carry
ids only; everything is re-checked on press.
"""

from __future__ import annotations

import enum

from aiogram.filters.callback_data import CallbackData


class SurveyAction(enum.StrEnum):
    RATE = "rate"  # value = score 1–5 (ticket survey)
    REASON = "why"  # value = reason chip key, toggles it
    REASONS_DONE = "whydone"
    SKIP_COMMENT = "nocomment"
    OPEN = "go"  # start or resume a questionnaire
    ANSWER = "ans"  # position = question index, value = score
    SKIP_QUESTION = "skipq"
    PAUSE = "pause"
    FOLLOW_UP = "followup"  # target = the follow-up ticket


class SurveyButton(CallbackData, prefix="sv"):
    action: SurveyAction
    target_id: int
    position: int = 0
    value: str = ""
