"""Turns every domain refusal into the translated answer and its audit line, in one place.

Handlers call a service and let a :class:`~bot.services.errors.Refused` propagate;
this inner middleware (it runs inside the i18n context, around each handler)
answers a button press with an alert and a message with a reply, and writes the
audit row, which commits with the update like any other change. The audit action
is the handler's ``audit`` flag (``flags={"audit": "ticket.take"}``), else a name
made from the event. A handler whose refusal should leave the person a keyboard
(the main menu after a conversation ends, the share-phone button again) names
its factory in the ``refusal_markup`` flag. A press refused as outdated runs the
handler's ``on_stale`` flag after the alert (a ticket view is drawn again as it is now).
"""

from __future__ import annotations

import html
from typing import Any

from aiogram import BaseMiddleware
from aiogram.dispatcher.flags import get_flag
from aiogram.types import CallbackQuery, Message, TelegramObject
from aiogram.utils.i18n import gettext as _
from aiogram.utils.i18n import ngettext

from bot.services import audit
from bot.services.errors import Refused
from bot.services.tickets.refusals import StaleAction
from handlers.middlewares import NextHandler


def refusal_text(error: Refused) -> str:
    """The refusal's reason in the reader's language, placeholders filled (texts are
    escaped: replies are HTML, and a value can be what the user typed)."""
    if error.plural is not None:
        text = ngettext(error.reason, error.plural, int(error.values.get("count", 1)))
    else:
        text = _(error.reason)
    if not error.values:
        return text
    return text.format(
        **{k: html.escape(v) if isinstance(v, str) else v for k, v in error.values.items()}
    )


def _audit_action(event: TelegramObject, data: dict[str, Any], error: Refused) -> str:
    flagged = get_flag(data, "audit")
    if flagged:
        return str(flagged)
    if isinstance(event, CallbackQuery):
        return "button." + (event.data or "").split(":", 1)[0]
    if isinstance(event, Message) and event.text and event.text.startswith("/"):
        return "command." + event.text.split(maxsplit=1)[0].lstrip("/").split("@")[0]
    return "message"


def _audit_data(event: TelegramObject) -> dict[str, Any]:
    if isinstance(event, CallbackQuery):
        chat = event.message.chat if event.message else None
        return {"callback": event.data, "chat_id": chat.id if chat else None}
    if isinstance(event, Message):
        return {"chat_id": event.chat.id, "text": (event.text or "")[:64]}
    return {}


async def record_refusal(event: TelegramObject, data: dict[str, Any], error: Refused) -> None:
    """The audit line of a refusal: who, what, why, where."""
    await audit.refused_about_ticket(
        data["session"],
        data["ctx"].now,
        data.get("actor"),
        _audit_action(event, data, error),
        error.code,
        error.ticket_id,
        _audit_data(event),
    )


async def answer_refusal(event: TelegramObject, data: dict[str, Any], error: Refused) -> None:
    text = refusal_text(error)
    if isinstance(event, CallbackQuery):
        await event.answer(text, show_alert=True)
    elif isinstance(event, Message):
        markup_factory = get_flag(data, "refusal_markup")
        markup = markup_factory() if callable(markup_factory) else None
        if event.chat.type == "private":
            await event.answer(text, reply_markup=markup)
        else:
            await event.reply(text, reply_markup=markup)


class RefusalMiddleware(BaseMiddleware):
    async def __call__(
        self, handler: NextHandler, event: TelegramObject, data: dict[str, Any]
    ) -> Any:
        try:
            return await handler(event, data)
        except Refused as error:
            if error.audited:
                await record_refusal(event, data, error)
            await answer_refusal(event, data, error)
            on_stale = get_flag(data, "on_stale")
            if isinstance(error, StaleAction) and callable(on_stale):
                await on_stale(event, data)
            return None
