"""Typed data of survey buttons; packs exactly like ``bot/services/surveys/buttons.py``."""

from __future__ import annotations

from aiogram.filters.callback_data import CallbackData

from bot.services.surveys.buttons import SURVEY_PREFIX


class SurveyButton(CallbackData, prefix=SURVEY_PREFIX):
    """``target_id`` is an invitation (a follow-up ticket for "followup")."""

    action: str
    target_id: int
    position: int = 0
    value: str = ""
