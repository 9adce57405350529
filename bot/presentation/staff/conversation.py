"""What staff are told when they talk to a resident in a group: in a ticket's forum topic,
or by a Telegram reply to a line about a ticket. Rendered in the chat's language (``_``)."""

from __future__ import annotations

from aiogram.utils.i18n import gettext as _
from aiogram.utils.i18n import ngettext

# A message that starts with this (or the /note command) is an internal note.
NOTE_PREFIX = "#note"


def note_needs_text() -> str:
    return _("Write the note after /note (or #note), for example: /note the plumber comes at 3.")


def only_text_and_photos() -> str:
    return _("Only text and photos reach the resident; this message was not sent.")


def prompt_expired(number: str, minutes: int) -> str:
    return ngettext(
        "⌛ Your answer to {number} was not sent: the prompt had expired after {minutes} "
        "minute. Press Reply on the card again.",
        "⌛ Your answer to {number} was not sent: the prompt had expired after {minutes} "
        "minutes. Press Reply on the card again.",
        minutes,
    ).format(number=number, minutes=minutes)
