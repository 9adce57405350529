"""Packed callback data of survey buttons, shared by services (outbox messages) and
handlers (``handlers/surveys/callbacks.SurveyButton`` packs to the same strings;
a unit test checks it). Buttons carry ids only; everything is re-checked on press.

``sv:<action>:<target id>:<position>:<value>``; the target is an invitation, or a
follow-up ticket for ``followup``.
"""

from __future__ import annotations

SURVEY_PREFIX = "sv"

RATE = "rate"  # value = score 1–5 (ticket survey)
REASON = "why"  # value = reason chip key, toggles it
REASONS_DONE = "whydone"
SKIP_COMMENT = "nocomment"
OPEN = "go"  # start or resume a questionnaire
ANSWER = "ans"  # position = question index, value = score
SKIP_QUESTION = "skipq"
PAUSE = "pause"
FOLLOW_UP = "followup"  # target = the follow-up ticket


def survey_button(action: str, target_id: int, position: int = 0, value: str = "") -> str:
    return f"{SURVEY_PREFIX}:{action}:{target_id}:{position}:{value}"
