"""The prompt that asks staff for a reply, a note, a resolution or a cancel reason, and
what they are told once it is done. Rendered in the handler's language (``_``)."""

from __future__ import annotations

import enum

from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup
from aiogram.utils.i18n import gettext as _
from aiogram.utils.i18n import ngettext

from bot.presentation.buttons.tickets import ComposeAction, ComposeButton


class ComposeMode(enum.StrEnum):
    REPLY = "reply"
    NOTE = "note"
    RESOLVE = "resolve"
    CANCEL = "cancel"


def prompt_text(
    mode: ComposeMode, name: str, number: str, *, in_group: bool, minutes: int = 0
) -> str:
    """In a group the presser's next message there is the answer, for ``minutes``."""
    texts = {
        ComposeMode.REPLY: _(
            "✍️ {name}, your answer to {number} goes to the resident: text, or photos "
            "with a caption."
        ),
        ComposeMode.NOTE: _(
            "📝 {name}, write an internal note for {number}. Residents never see notes."
        ),
        ComposeMode.RESOLVE: _(
            "✅ {name}, what was done for {number}? The resident will be asked to confirm the fix."
        ),
        ComposeMode.CANCEL: _(
            "🚫 {name}, why is {number} being cancelled? The resident will see the reason."
        ),
    }
    if in_group:
        hint = ngettext(
            "Just write it here: your next message in this group is the answer "
            "(within {minutes} minute; ✖ Cancel to stop).",
            "Just write it here: your next message in this group is the answer "
            "(within {minutes} minutes; ✖ Cancel to stop).",
            minutes,
        ).format(minutes=minutes)
    else:
        hint = _("Send it here.")
    return f"{texts[mode].format(name=name, number=number)}\n{hint}"


def prompt_keyboard(
    mode: ComposeMode | None, ticket_id: int, *, ask: bool, can_send: bool
) -> InlineKeyboardMarkup:
    """A reply may wait for the resident's answer (a toggle); collected photos can be sent."""

    def button(text: str, action: ComposeButton) -> InlineKeyboardButton:
        data = ComposeAction(action=action, ticket_id=ticket_id).pack()
        return InlineKeyboardButton(text=text, callback_data=data)

    rows = []
    if mode is ComposeMode.REPLY:
        label = (
            _("⏸ Wait for the resident's answer: on")
            if ask
            else _("⏸ Wait for the resident's answer: off")
        )
        rows.append([button(label, ComposeButton.ASK)])
    last = [button(_("✖ Cancel"), ComposeButton.CANCEL)]
    if can_send:
        last.insert(0, button(_("📤 Send"), ComposeButton.SEND))
    rows.append(last)
    return InlineKeyboardMarkup(inline_keyboard=rows)


def photos_attached(number: str) -> str:
    return _("📎 Photos attached to {number}. Add text, or press Send.").format(number=number)


def ask_for_text(mode: ComposeMode) -> str:
    if mode is ComposeMode.REPLY:
        return _("Please send text or photos.")
    return _("Please write it as text.")


def done(mode: ComposeMode, number: str, *, asked: bool) -> str:
    """The confirmation once the change is made."""
    if mode is ComposeMode.REPLY and asked:
        text = _("✅ Sent to the resident of {number}. The ticket now waits for their answer.")
    elif mode is ComposeMode.REPLY:
        text = _("✅ Sent to the resident of {number}.")
    elif mode is ComposeMode.NOTE:
        text = _("📝 Note saved on {number}. Residents never see it.")
    elif mode is ComposeMode.RESOLVE:
        text = _("✅ {number} is resolved. The resident was asked to confirm the fix.")
    else:
        text = _("🚫 {number} is cancelled. The resident was told why.")
    return text.format(number=number)
