"""Buttons of notices and self-service answers.

Packed forms::

    nc:<draft>:<step>:<value>      a step of composing a notice (private chat)
    nm:<action>:<notice>           correct or withdraw a sent notice
    ss:<action>:<event>            a resident's answer to a notice or a FAQ answer shown
    nx:<mute>                      mute (1) or unmute (0) general notices, in the profile
    fq:<key>                       a question of /faq: show its answer
"""

from __future__ import annotations

import enum

from aiogram.filters.callback_data import CallbackData


class ComposeStep(enum.StrEnum):
    UNIT = "unit"  # value: an org unit id
    BUILDING = "bld"  # value: a building id (toggled)
    WHOLE = "whole"  # every building of the project
    BUILDINGS_DONE = "blddone"
    KIND = "kind"  # value: an AnnouncementKind
    CATEGORY = "cat"  # value: a category key, "" for none
    NO_WINDOW = "nowin"
    SKIP_EN = "noen"
    SKIP_PHOTO = "nophoto"
    SEND = "send"
    CANCEL = "cancel"


class ComposeChoice(CallbackData, prefix="nc"):
    draft: int
    step: ComposeStep
    value: str = ""


class ManageAction(enum.StrEnum):
    CORRECT = "fix"
    WITHDRAW = "withdraw"


class NoticeManage(CallbackData, prefix="nm"):
    action: ManageAction
    notice_id: int


class SelfServiceAction(enum.StrEnum):
    OK = "ok"  # the notice answers it: nothing to file
    FILE = "file"  # still a problem: file anyway
    ANSWERED = "yes"  # the FAQ answer answered it
    HELP = "help"  # still need help: file the question


class SelfServiceChoice(CallbackData, prefix="ss"):
    action: SelfServiceAction
    event_id: int


class MuteNotices(CallbackData, prefix="nx"):
    mute: bool


class FaqShow(CallbackData, prefix="fq"):
    """A question in /faq (the entry's key: at most 32 characters)."""

    key: str
