"""One update, one transaction.

Everything an update causes — conversation state, domain changes, queued
notifications, and the inbox row's "done" mark — commits together. If the
handler fails, or the process dies, all of it rolls back and the update is
handled again later; if it was already handled, it is skipped.
"""

from __future__ import annotations

from typing import Any

from aiogram import Bot, Dispatcher
from aiogram.dispatcher.event.bases import UNHANDLED
from aiogram.types import Update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.clock import Clock
from storage import inbox
from storage.session_context import current_session


async def handle_update_once(
    dispatcher: Dispatcher,
    bot: Bot,
    sessionmaker: async_sessionmaker[AsyncSession],
    clock: Clock,
    payload: dict[str, Any],
    *,
    from_inbox: bool,
) -> Any:
    update = Update.model_validate(payload, context={"bot": bot})
    async with sessionmaker() as session:
        token = current_session.set(session)
        try:
            async with session.begin():
                if from_inbox and not await inbox.is_pending(session, update.update_id):
                    return UNHANDLED  # handled already (re-delivery, or another worker won)
                result = await dispatcher.feed_update(bot, update, session=session)
                if from_inbox and not await inbox.mark_done(session, update.update_id, clock.now()):
                    # Another worker finished it meanwhile: undo ours, keep theirs.
                    await session.rollback()
                    return UNHANDLED
            return result
        finally:
            current_session.reset(token)
