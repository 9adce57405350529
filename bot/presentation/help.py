"""/help: the commands of the asker's role, where they work, and the emergency number."""

from __future__ import annotations

import html

from aiogram.utils.i18n import gettext as _

from bot.presentation.commands import Audience, group_commands, private_commands


def _line(name: str, description: str) -> str:
    return f"/{name} – {_(description)}"


def private_help(audience: Audience, hotline: str | None) -> str:
    """What the asker can do in this private chat (their role's commands)."""
    lines = [_("What I can do:")]
    if audience is Audience.RESIDENT:
        lines.append(
            _(
                "Use the menu buttons to report a repair, make a complaint or a suggestion, "
                "ask a question, or follow your tickets. You can also simply write what the "
                "problem is, with a photo."
            )
        )
    lines += [_line(c.name, c.description) for c in private_commands(Audience.RESIDENT)]
    staff = [c for c in private_commands(audience) if c.audience > Audience.RESIDENT]
    if staff:
        lines += ["", _("<b>For staff</b> (here or in your staff group):")]
        lines += [_line(c.name, c.description) for c in staff if c.group]
    managers = [c for c in staff if not c.group]
    if managers:
        lines += ["", _("<b>For managers</b> (in this private chat only):")]
        lines += [_line(c.name, c.description) for c in managers]
    if audience >= Audience.MANAGER:
        lines.append(_("/bindgroup – in a group: make it the staff group of a unit"))
    if hotline:
        lines += [
            "",
            _("☎️ Emergency hotline (24 hours): {number}").format(number=html.escape(hotline)),
        ]
    return "\n".join(lines)


def group_help() -> str:
    """/help in a staff group: the group's commands, and where the others are."""
    lines = [_("Commands in this staff group:")]
    lines += [_line(c.name, c.description) for c in group_commands() if c.name != "help"]
    lines += [
        "",
        _(
            "Statistics, exports, surveys, invitations and the audit log are in your private "
            "chat with me, where /help lists them."
        ),
    ]
    return "\n".join(lines)
