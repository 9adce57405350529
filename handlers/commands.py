"""The command menu Telegram shows in private chats (texts are msgids, translated per language)."""

from __future__ import annotations

from bot.i18n import N_


def bot_commands() -> list[tuple[str, str]]:
    return [
        ("start", N_("Start over")),
        ("help", N_("What I can do")),
        ("language", N_("Choose your language")),
        ("cancel", N_("Stop what you are doing")),
    ]
