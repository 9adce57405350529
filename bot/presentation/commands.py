"""The commands each audience may use: Telegram's command menus and /help.

One table names every command with its description (a msgid) and who may use it
where; the menus Telegram shows (per scope and language) and the lines of /help
are both read from it, so they cannot disagree.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from bot.i18n import N_

# The bot's profile in Telegram: shown before a person's first message, and on its page.
BOT_DESCRIPTION = N_(
    "I am the property office's service assistant. Report a repair or a complaint with "
    "photos, follow your tickets, and tell us how we did. Press Start to begin."
)
BOT_SHORT_DESCRIPTION = N_("Repairs, complaints and questions for your property office.")


class Audience(enum.IntEnum):
    """Who may use a command, each including the ones before it."""

    RESIDENT = 0
    STAFF = 1
    MANAGER = 2
    ADMIN = 3


@dataclass(frozen=True)
class Command:
    name: str
    description: str  # msgid, short: it is the menu entry
    audience: Audience
    private: bool = True  # offered in the private chat
    group: bool = False  # offered in staff groups


COMMANDS = (
    Command("start", N_("Start over"), Audience.RESIDENT),
    Command("help", N_("What I can do"), Audience.RESIDENT, group=True),
    Command("tickets", N_("My tickets"), Audience.RESIDENT),
    Command("profile", N_("Your profile and units"), Audience.RESIDENT),
    Command("language", N_("Choose your language"), Audience.RESIDENT),
    Command("privacy", N_("How your personal data is used"), Audience.RESIDENT),
    Command("cancel", N_("Stop what you are doing"), Audience.RESIDENT, group=True),
    Command("faq", N_("Answers to common questions"), Audience.RESIDENT),
    Command("queue", N_("Open tickets of your projects"), Audience.STAFF, group=True),
    Command("mine", N_("Tickets you are handling"), Audience.STAFF, group=True),
    Command("ticket", N_("Open a ticket by its number"), Audience.STAFF, group=True),
    Command("notice", N_("Send a notice to residents"), Audience.STAFF),
    Command("incident", N_("One answer for every ticket of a wider fault"), Audience.STAFF,
            group=True),
    Command("stats", N_("Statistics and charts"), Audience.MANAGER),
    Command("export", N_("Statistics as a spreadsheet"), Audience.MANAGER),
    Command("survey", N_("Satisfaction surveys"), Audience.MANAGER),
    Command("invite", N_("Invite an agent or a manager"), Audience.MANAGER),
    Command("bindgroup", N_("Make this group a staff group"), Audience.MANAGER, private=False,
            group=True),
    Command("audit", N_("Who did what (audit log)"), Audience.MANAGER),
    Command("outbox", N_("Messages not delivered yet"), Audience.ADMIN),
)  # fmt: skip


def private_commands(audience: Audience) -> list[Command]:
    """The private-chat menu of someone of this audience."""
    return [c for c in COMMANDS if c.private and c.audience <= audience]


def group_commands() -> list[Command]:
    """The menu in staff groups (the bot answers group commands of staff only)."""
    return [c for c in COMMANDS if c.group]


def audience_of(is_staff: bool, is_manager: bool, is_admin: bool) -> Audience:
    if is_admin:
        return Audience.ADMIN
    if is_manager:
        return Audience.MANAGER
    return Audience.STAFF if is_staff else Audience.RESIDENT
