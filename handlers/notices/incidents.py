"""/incident <number> makes a ticket the incident (mass fault) of its category and
building and links the open tickets of it; ``/incident <number> answer TEXT``
answers every linked ticket at once; ``/incident <number> close TEXT`` resolves them
all and closes it (each resident hears it as the answer to their own ticket).
In staff groups and in private."""

from __future__ import annotations

from aiogram import Router
from aiogram.filters import Command, CommandObject
from aiogram.types import Message
from aiogram.utils.i18n import gettext as _
from aiogram.utils.i18n import ngettext

from bot.presentation.texts import category_name
from bot.services.announcements import incidents
from handlers.desk import Desk, at_desk

ANSWER_WORDS = {"answer", "reply", "回复", "答复"}
CLOSE_WORDS = {"close", "resolve", "关闭", "解决"}


async def incident_command(message: Message, command: CommandObject, desk: Desk) -> None:
    parts = (command.args or "").split(maxsplit=2)
    if not parts:
        await message.answer(
            _(
                "/incident SG-0001 makes ticket SG-0001 an incident and links the open tickets "
                "of its category and building; /incident SG-0001 answer TEXT answers them "
                "all; /incident SG-0001 close TEXT resolves them all."
            )
        )
        return
    number = parts[0]
    word = parts[1].lower() if len(parts) > 1 else ""
    text = parts[2].strip() if len(parts) > 2 else ""
    locale = desk.reading_locale(message.chat)
    if word in ANSWER_WORDS | CLOSE_WORDS and text:
        close = word in CLOSE_WORDS
        summary = await incidents.answer_all(
            desk.session, desk.ctx, desk.actor, number, text, close=close
        )
        count = summary.answered
        reply = (
            ngettext(
                "✅ Incident {number} closed: {count} ticket resolved, its resident told.",
                "✅ Incident {number} closed: {count} tickets resolved, their residents told.",
                count,
            )
            if close
            else ngettext(
                "💬 Incident {number}: {count} ticket answered, its resident told.",
                "💬 Incident {number}: {count} tickets answered, their residents told.",
                count,
            )
        )
        await message.answer(reply.format(number=summary.number, count=summary.answered))
        return
    summary = await incidents.open_incident(desk.session, desk.ctx, desk.actor, number)
    await message.answer(
        _(
            "⚡ {number} is now an incident ({category}). Linked tickets: {tickets}.\n"
            "Answer them all: /incident {number} answer TEXT; "
            "resolve them all: /incident {number} close TEXT"
        ).format(
            number=summary.number,
            category=category_name(desk.ctx.org, locale, summary.category_key),
            tickets=", ".join(summary.linked),
        )
    )


def build_router() -> Router:
    router = Router(name="notices.incidents")
    router.message.register(incident_command, Command("incident"), at_desk)
    return router
