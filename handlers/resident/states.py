"""The steps of residents' conversations; the step is stored with the chat (survives restarts)."""

from __future__ import annotations

from aiogram.fsm.state import State, StatesGroup


class Registration(StatesGroup):
    consent = State()
    name = State()
    phone = State()


class Binding(StatesGroup):
    code = State()
    unit_number = State()  # typing the unit number after choosing the building


class Filing(StatesGroup):
    category = State()
    place = State()
    location = State()
    description = State()
    photos = State()
    urgent = State()
    summary = State()
    duplicates = State()


class FreeText(StatesGroup):
    offer = State()
    which = State()  # several tickets wait for the resident: which one is this about?


class FollowUp(StatesGroup):
    comment = State()
    cancel_reason = State()
    reopen_reason = State()


class ProfileEdit(StatesGroup):
    name = State()
    phone = State()


class SelfService(StatesGroup):
    """A notice or a FAQ answer was shown instead of filing: waiting for OK / file anyway."""

    shown = State()


RESIDENT_STATES = (Registration, Binding, Filing, FreeText, FollowUp, ProfileEdit, SelfService)
