"""The command menu Telegram shows in private chats (texts are msgids, translated per language)."""

from __future__ import annotations

from bot.i18n import N_


def bot_commands() -> list[tuple[str, str]]:
    return [
        ("start", N_("Start over")),
        ("help", N_("What I can do")),
        ("tickets", N_("My tickets")),
        ("profile", N_("Your profile and units")),
        ("language", N_("Choose your language")),
        ("cancel", N_("Stop what you are doing")),
    ]
