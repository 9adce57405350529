"""Small pieces the staff handlers share: where a button or command was used, and chats."""

from __future__ import annotations

import html
from typing import Any

from aiogram import Bot
from aiogram.types import CallbackQuery, Chat, InaccessibleMessage, Message

from bot.services.tickets.refusals import ForgedButton

GROUP_ANONYMOUS_BOT_ID = 1087968824  # Telegram's stand-in sender for anonymous admins


def chat_of(callback: CallbackQuery) -> Chat:
    """The chat a button was pressed in; without one (inline) nothing can be checked."""
    return pressed_on(callback).chat


def pressed_on(callback: CallbackQuery) -> Message | InaccessibleMessage:
    """The message a button was on (an old one may no longer be readable)."""
    if callback.message is None:
        raise ForgedButton
    return callback.message


def editable(callback: CallbackQuery) -> Message:
    """The message a button was on, to edit it (menus and lists the bot just sent)."""
    if not isinstance(callback.message, Message):
        raise ForgedButton
    return callback.message


def mention(user_id: int, name: str) -> str:
    return f'<a href="tg://user?id={user_id}">{html.escape(name)}</a>'


def thread_of(message: Any) -> int | None:
    """The forum topic a message is in, to answer in the same one."""
    if getattr(message, "is_topic_message", None):
        return getattr(message, "message_thread_id", None)
    return None


async def bot_username(bot: Bot) -> str:
    return (await bot.me()).username or ""


async def is_command_for_us(message: Message, bot: Bot) -> bool:
    """A /command that is meant for this bot (bare, or addressed @to_us)."""
    text = message.text or ""
    if not text.startswith("/"):
        return False
    command = text.split(maxsplit=1)[0]
    _name, _at, addressee = command.partition("@")
    return not addressee or addressee.lower() == (await bot_username(bot)).lower()


def is_anonymous(message: Message) -> bool:
    """Sent as the group (anonymous admin) or as a channel: nobody we can hold to account."""
    return message.sender_chat is not None or (
        message.from_user is not None and message.from_user.id == GROUP_ANONYMOUS_BOT_ID
    )


def is_staff(_event: object, actor: Any = None) -> bool:
    return actor is not None and actor.is_staff
