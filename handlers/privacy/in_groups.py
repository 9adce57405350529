"""Personal-data commands and the audit log, sent in a group: a pointer to the private chat.

``/audit`` and a resident's data (``/privacy``, ``/mydata``, ``/forgetme``, ``/profile``,
``/tickets``) are answered only in a private chat; in a group nothing of them is posted,
only the refusal middleware's pointer (and its audit line).
"""

from __future__ import annotations

from aiogram import Bot, Router
from aiogram.filters import Command, CommandObject
from aiogram.types import Message

from handlers.audiences import PrivateChatOnly, staff_groups
from handlers.staff.common import bot_username

PRIVATE_ONLY = ("audit", "privacy", "mydata", "forgetme", "profile", "tickets")


async def point_to_private_chat(message: Message, command: CommandObject, bot: Bot) -> None:
    raise PrivateChatOnly(command=command.command, link=f"https://t.me/{await bot_username(bot)}")


def build_router() -> Router:
    router = staff_groups("privacy.in_groups")
    router.message.register(point_to_private_chat, Command(*PRIVATE_ONLY))
    return router
