"""/help: the commands of the asker's role, where they work, and the emergency number."""

from __future__ import annotations

import html

from aiogram.utils.i18n import gettext as _

from bot.presentation.commands import Audience, group_commands, private_commands


def _line(name: str, description: str) -> str:
    return f"/{name} – {_(description)}"


def private_help(audience: Audience, hotline: str | None, *, staff_first: bool = False) -> str:
    """What the asker can do in this private chat (their role's commands). ``staff_first``:
    for staff not registered as residents (a greeting above says so), whose resident
    commands come last, as what they can do for their own home once registered."""
    residents = [_line(c.name, c.description) for c in private_commands(Audience.RESIDENT)]
    if audience is Audience.RESIDENT:
        residents.insert(
            0,
            _(
                "Use the menu buttons to report a repair, make a complaint or a suggestion, "
                "ask a question, or follow your tickets. You can also simply write what the "
                "problem is, with a photo."
            ),
        )
        residents.insert(1, _("Send a ticket's number (SG-000123) to see where it stands."))
    staff = [c for c in private_commands(audience) if c.audience > Audience.RESIDENT]
    work = []
    if staff:
        work.append(
            [_("<b>For staff</b> (here or in your staff group):")]
            + [_line(c.name, c.description) for c in staff if c.group]
            + [_("Here, a ticket number alone (SG-000123) opens it too.")]
        )
    private_only = [c for c in staff if not c.group]  # /notice, for agents too
    if private_only:
        work.append(
            [_("<b>In this private chat only</b>:")]
            + [_line(c.name, c.description) for c in private_only]
        )
    if audience >= Audience.MANAGER:  # a line of its own: it is sent in a group
        work.append([_("/bindgroup – in a group: make it the staff group of a unit")])
    if staff_first:
        home = [_("<b>For your own home</b> (once registered as a resident):"), *residents]
        blocks = [*work, home]
    else:
        blocks = [[_("What I can do:"), *residents], *work]
    if hotline:
        blocks.append(
            [_("☎️ Emergency hotline (24 hours): {number}").format(number=html.escape(hotline))]
        )
    return "\n\n".join("\n".join(block) for block in blocks)


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
