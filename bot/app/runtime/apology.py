"""When an update cannot be handled even after retries, its sender is told so."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import Clock
from bot.i18n import N_, pick_locale, translate
from bot.presentation import outbox
from bot.services.people import person_by_telegram_id

APOLOGY = N_(
    "Sorry, something went wrong while handling your last message. "
    "Nothing was saved from it; please try again in a moment."
)


def _sender_and_chat(payload: dict[str, Any]) -> tuple[dict[str, Any] | None, int | None]:
    for kind in ("message", "edited_message"):
        if kind in payload:
            return payload[kind].get("from"), payload[kind]["chat"]["id"]
    if "callback_query" in payload:
        sender = payload["callback_query"]["from"]
        return sender, sender["id"]
    return None, None


def apology_sender(clock: Clock, default_locale: str):
    async def apologise(session: AsyncSession, payload: dict[str, Any]) -> None:
        sender, chat_id = _sender_and_chat(payload)
        if sender is None or chat_id is None:
            return
        person = await person_by_telegram_id(session, sender["id"])
        locale = pick_locale(
            person.language if person else None, sender.get("language_code"), default_locale
        )
        await outbox.enqueue_text(
            session,
            chat_id=chat_id,
            text=translate(locale, APOLOGY),
            now=clock.now(),
            dedup_key=f"apology:{payload['update_id']}",
        )

    return apologise
