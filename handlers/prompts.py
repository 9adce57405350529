"""A question a conversation asked, once answered, loses its buttons (Skip, « Back, ✖).

The conversation keeps the question's message id in its data (a stand-in id while the
update is handled, replaced by the real one once sent: ``runtime/replies.py``).
"""

from __future__ import annotations

import contextlib

from aiogram import Bot
from aiogram.exceptions import TelegramBadRequest


async def close_prompt(bot: Bot, chat_id: int, message_id: object) -> None:
    """Take the buttons off the question ``message_id`` (anything else: nothing to do);
    one already without them, or too old to edit, is fine as it is."""
    if not isinstance(message_id, int) or isinstance(message_id, bool):
        return
    with contextlib.suppress(TelegramBadRequest):
        await bot.edit_message_reply_markup(
            chat_id=chat_id, message_id=message_id, reply_markup=None
        )
