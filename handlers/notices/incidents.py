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

from bot.i18n import listed
from bot.presentation.texts import category_name
from bot.services.announcements import incidents
from handlers.desk import Desk, at_desk

ANSWER_WORDS = {"answer", "reply", "回复", "答复"}
CLOSE_WORDS = {"close", "resolve", "关闭", "解决"}


async def incident_command(message: Message, command: CommandObject, desk: Desk) -> None:
    parts = (command.args or "").split(maxsplit=2)
    if not parts:
        projects = desk.ctx.org.projects
        example = projects[0].ticket_number(123) if projects else "SG-000123"
        await message.answer(
            _(
                "⚡ <b>Incidents</b>: one fault, many reports.\n"
                "/incident NUMBER – make the ticket an incident: the open tickets of its "
                "category and building are linked to it\n"
                "/incident NUMBER answer TEXT – answer all of them at once\n"
                "/incident NUMBER close TEXT – resolve all of them\n"
                "For example: /incident {example}"
            ).format(example=example)
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
            tickets=listed(locale, summary.linked),
        )
    )


def build_router() -> Router:
    router = Router(name="notices.incidents")
    router.message.register(incident_command, Command("incident"), at_desk)
    return router
