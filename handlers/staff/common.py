"""Small pieces every staff handler uses: where we are, and saying no."""

from __future__ import annotations

import html
from typing import Any

from aiogram import Bot
from aiogram.types import CallbackQuery, Chat, Message
from aiogram.utils.i18n import I18n
from aiogram.utils.i18n import gettext as _
from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import Clock
from bot.config.orgfile import Organisation
from bot.i18n import DEFAULT_LOCALE, normalise_locale
from bot.services import staff_desk
from bot.services.people import Actor
from bot.services.staff_desk import Refusal, Where

GROUP_TYPES = frozenset({"group", "supergroup"})
GROUP_ANONYMOUS_BOT_ID = 1087968824  # Telegram's stand-in sender for anonymous admins


def refusal_text(refusal: Refusal) -> str:
    text = _(refusal.reason)
    return text.format(**refusal.values) if refusal.values else text


async def where(session: AsyncSession, chat: Chat) -> Where:
    return await staff_desk.where(session, chat.id, chat.type)


async def refuse_press(
    callback: CallbackQuery,
    session: AsyncSession,
    clock: Clock,
    actor: Actor | None,
    action: str,
    error: Exception,
    *,
    ticket_id: int | None = None,
) -> None:
    """A short alert for the presser, an audit line for the record, nothing else."""
    chat = callback.message.chat if callback.message else None
    refusal = await staff_desk.refuse(
        session,
        clock.now(),
        actor,
        action,
        error,
        ticket_id=ticket_id,
        data={"callback": callback.data, "chat_id": chat.id if chat else None},
    )
    await callback.answer(refusal_text(refusal), show_alert=True)


async def refuse_message(
    message: Message,
    session: AsyncSession,
    clock: Clock,
    actor: Actor | None,
    action: str,
    error: Exception,
    *,
    ticket_id: int | None = None,
) -> None:
    refusal = await staff_desk.refuse(
        session,
        clock.now(),
        actor,
        action,
        error,
        ticket_id=ticket_id,
        data={"chat_id": message.chat.id, "text": (message.text or "")[:64]},
    )
    await message.reply(refusal_text(refusal))


def reading_locale(chat: Chat, i18n: I18n, organisation: Organisation) -> str:
    """A group reads in the organisation's language; a private chat in the person's."""
    if chat.type == "private":
        return i18n.current_locale
    return normalise_locale(organisation.default_language) or DEFAULT_LOCALE


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
