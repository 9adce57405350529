"""Buttons of the residents' data rights: ``pv:<action>``."""

from __future__ import annotations

import enum

from aiogram.filters.callback_data import CallbackData


class PrivacyStep(enum.StrEnum):
    MY_DATA = "mydata"
    ERASE = "erase"  # asks to confirm
    ERASE_YES = "erase_yes"
    ERASE_NO = "erase_no"


class PrivacyAction(CallbackData, prefix="pv"):
    action: PrivacyStep
