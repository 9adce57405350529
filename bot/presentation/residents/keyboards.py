"""The residents' keyboards: the main menu (in every language), sharing a phone, inline rows."""

from __future__ import annotations

from typing import NamedTuple

from aiogram.types import (
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
)
from aiogram.utils.i18n import gettext as _

from bot.i18n import N_, SUPPORTED_LOCALES, translate

MENU_REPAIR = N_("🔧 Report a repair")
MENU_COMPLAINT = N_("📣 Make a complaint")
MENU_SUGGESTION = N_("💡 Make a suggestion")
MENU_QUESTION = N_("❓ Ask a question")
MENU_TICKETS = N_("📋 My tickets")
MENU_PROFILE = N_("👤 Profile")
MENU_HELP = N_("ℹ️ Help")
SHARE_PHONE = N_("📱 Share my phone number")


def labels(msgid: str) -> frozenset[str]:
    """The button's text in every language (the keyboard may predate a language change)."""
    return frozenset(translate(locale, msgid) for locale in SUPPORTED_LOCALES)


MENU_KIND_BUTTONS = {
    MENU_REPAIR: "repair",
    MENU_COMPLAINT: "complaint",
    MENU_SUGGESTION: "suggestion",
    MENU_QUESTION: "inquiry",
}


def all_menu_labels() -> frozenset[str]:
    found: set[str] = set()
    for msgid in (*MENU_KIND_BUTTONS, MENU_TICKETS, MENU_PROFILE, MENU_HELP):
        found |= labels(msgid)
    return frozenset(found)


def main_menu() -> ReplyKeyboardMarkup:
    def button(msgid: str) -> KeyboardButton:
        return KeyboardButton(text=_(msgid))

    return ReplyKeyboardMarkup(
        keyboard=[
            [button(MENU_REPAIR), button(MENU_COMPLAINT)],
            [button(MENU_SUGGESTION), button(MENU_QUESTION)],
            [button(MENU_TICKETS), button(MENU_PROFILE), button(MENU_HELP)],
        ],
        resize_keyboard=True,
        is_persistent=True,
    )


def share_phone_keyboard() -> ReplyKeyboardMarkup:
    return ReplyKeyboardMarkup(
        keyboard=[[KeyboardButton(text=_(SHARE_PHONE), request_contact=True)]],
        resize_keyboard=True,
        one_time_keyboard=True,
    )


def suggestion_keyboard(text: str) -> ReplyKeyboardMarkup:
    return ReplyKeyboardMarkup(
        keyboard=[[KeyboardButton(text=text)]], resize_keyboard=True, one_time_keyboard=True
    )


Row = list[tuple[str, str]]


def inline(rows: list[Row]) -> InlineKeyboardMarkup:
    """Rows of (text, callback_data); empty rows are left out."""
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [InlineKeyboardButton(text=text, callback_data=data) for text, data in row]
            for row in rows
            if row
        ]
    )


def in_rows(buttons: Row, per_row: int) -> list[Row]:
    return [buttons[i : i + per_row] for i in range(0, len(buttons), per_row)]


class Reply(NamedTuple):
    """A message to send: its text and keyboard."""

    text: str
    markup: InlineKeyboardMarkup | ReplyKeyboardMarkup | ReplyKeyboardRemove | None = None


class InlineReply(NamedTuple):
    """A message that may also replace an earlier one: inline buttons only."""

    text: str
    markup: InlineKeyboardMarkup | None = None
