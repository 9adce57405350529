"""First contact and help."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.filters import Command, CommandStart
from aiogram.types import Message
from aiogram.utils.i18n import gettext as _

from bot.services.people import Actor


async def greet(message: Message) -> None:
    await message.answer(
        _(
            "Hello! I am the resident service assistant of your property management office.\n"
            "Here you can report repairs, make complaints or suggestions, ask questions, "
            "and follow your requests until they are done.\n\n"
            "Send /help to see what I can do, or /language to change the language."
        )
    )


async def show_help(message: Message, actor: Actor) -> None:
    lines = [
        _("What I can do:"),
        _("/start – start over"),
        _("/help – this list"),
        _("/language – choose your language"),
        _("/cancel – stop what you are doing"),
    ]
    if actor.is_staff:
        lines.append("")
        lines.append(_("You are registered as staff; staff commands work in your staff group."))
    await message.answer("\n".join(lines))


def build_router() -> Router:
    router = Router(name="common.start")
    router.message.filter(F.chat.type == "private")
    router.message.register(greet, CommandStart())
    router.message.register(show_help, Command("help"))
    return router
