"""/help. (/start, the registration, lives in handlers/resident/registration.py.)"""

from __future__ import annotations

from aiogram import Router
from aiogram.filters import Command
from aiogram.types import Message
from aiogram.utils.i18n import gettext as _

from bot.services.people import Actor
from handlers.audiences import private_chat


async def show_help(message: Message, actor: Actor) -> None:
    lines = [
        _("What I can do:"),
        _(
            "Use the menu buttons to report a repair, make a complaint or a suggestion, "
            "ask a question, or follow your tickets."
        ),
        _("/start – start over"),
        _("/tickets – your tickets"),
        _("/profile – your name, phone number and units"),
        _("/help – this list"),
        _("/language – choose your language"),
        _("/cancel – stop what you are doing"),
    ]
    if actor.is_staff:
        lines.append("")
        lines.append(_("You are registered as staff; staff commands work in your staff group."))
    await message.answer("\n".join(lines))


def build_router() -> Router:
    router = private_chat("common.start")
    router.message.register(show_help, Command("help"))
    return router
