"""Staff talking to a resident in a staff group, without the card's Reply prompt.

- In a forum group each ticket has its own topic (``bot/presentation/outbound/topics.py``):
  whatever a staff member writes there (text, or photos with or without a caption) goes
  to the resident, except an internal note: a message that starts with ``/note`` or
  ``#note`` (a photo's caption too; the photo stays in the topic). Other commands
  (``/queue`` …) are not messages to the resident.
- In any staff group, a Telegram reply to a line the bot posted about a ticket (the
  resident's words or photos, a re-open, an answer given privately) answers that ticket.

A pending Reply/Note prompt (``compose.py``) comes first: its router is included before
this one. The bot learns here whether a group is a forum (``learning_router``, first of
all: it only looks and lets the update go on).
"""

from __future__ import annotations

from typing import Any

from aiogram import Bot, F, Router
from aiogram.dispatcher.event.bases import SkipHandler
from aiogram.exceptions import TelegramBadRequest
from aiogram.filters import Command, CommandObject
from aiogram.types import CallbackQuery, Message, ReactionTypeEmoji, ReplyParameters
from sqlalchemy.ext.asyncio import AsyncSession

from bot.presentation.staff.compose import ComposeMode, done
from bot.presentation.staff.conversation import (
    NOTE_PREFIX,
    note_needs_text,
    only_text_and_photos,
)
from bot.services import delivery_outcomes
from bot.services.tickets import lifecycle, topics
from bot.services.tickets.lifecycle import Photo
from handlers.audiences import GROUP_TYPES, staff_groups
from handlers.desk import Desk, at_desk

# What may reach a resident from a topic is text and photos; these are refused politely.
OTHER_CONTENT = F.document | F.voice | F.video | F.audio | F.video_note | F.animation | F.sticker


# ------------------------------------------------------------------ forums


async def saw_forum(message: Message, session: AsyncSession) -> None:
    """Remember that this group is a forum, then let the update go on to its handler."""
    await delivery_outcomes.group_seen(session, message.chat.id, is_forum=True)
    raise SkipHandler


async def pressed_in_forum(callback: CallbackQuery, session: AsyncSession) -> None:
    if callback.message is not None:
        await delivery_outcomes.group_seen(session, callback.message.chat.id, is_forum=True)
    raise SkipHandler


def build_learning_router() -> Router:
    router = Router(name="staff.forums")
    router.message.register(saw_forum, F.chat.is_forum.is_(True))
    router.callback_query.register(
        pressed_in_forum,
        F.message.chat.type.in_(GROUP_TYPES),
        F.message.chat.is_forum.is_(True),
    )
    return router


# ------------------------------------------------------------------ filters


async def in_ticket_topic(message: Message, session: AsyncSession) -> dict[str, int] | bool:
    """A message in a ticket's own topic: hands the handler its ``ticket_id``."""
    if not message.is_topic_message or message.message_thread_id is None:
        return False
    found = await topics.ticket_in_topic(session, message.chat.id, message.message_thread_id)
    return False if found is None else {"ticket_id": found}


async def replies_to_ticket_line(
    message: Message, session: AsyncSession, bot: Bot
) -> dict[str, int] | bool:
    """A Telegram reply to a line the bot posted about a ticket: hands its ``ticket_id``."""
    target = message.reply_to_message
    if target is None or target.from_user is None or target.from_user.id != bot.id:
        return False
    found = await topics.ticket_of_group_line(session, message.chat.id, target.message_id)
    return False if found is None else {"ticket_id": found}


def _not_a_command(message: Message) -> bool:
    return not (message.text or "").startswith("/")


def _is_note(message: Message) -> bool:
    return (message.text or message.caption or "").lower().startswith(NOTE_PREFIX)


# ------------------------------------------------------------------ handlers


async def _answered(message: Message, desk: Desk, text: str) -> None:
    await desk.bot.send_message(
        message.chat.id,
        text,
        message_thread_id=message.message_thread_id if message.is_topic_message else None,
        reply_parameters=ReplyParameters(
            message_id=message.message_id, allow_sending_without_reply=True
        ),
    )


async def note_in_topic(
    message: Message, ticket_id: int, desk: Desk, command: CommandObject | None = None
) -> None:
    """``/note …`` or ``#note …`` (in the topic, or replying to a line about the ticket):
    kept in the ticket's history, never sent to the resident."""
    if command is not None:
        text = (command.args or "").strip()
    else:
        text = (message.text or message.caption or "")[len(NOTE_PREFIX) :].strip()
    if not text:
        await _answered(message, desk, note_needs_text())
        return
    ticket = await lifecycle.add_note(desk.session, desk.ctx, ticket_id, desk.actor, text)
    await _answered(message, desk, done(ComposeMode.NOTE, ticket.number, asked=False))


async def tell_resident(message: Message, ticket_id: int, desk: Desk) -> None:
    """Text or a photo written in the ticket's topic (or in reply to a line about it) goes
    to the resident; a thumbs-up on the message says it went (in a topic, where every
    message is one, a reply to each would drown the conversation)."""
    photos: list[Photo] = []
    if message.photo:
        largest = message.photo[-1]
        photos.append(Photo(largest.file_id, largest.file_unique_id))
    text = message.text or message.caption or ""
    ticket = await topics.staff_says(desk.session, desk.ctx, ticket_id, desk.actor, text, photos)
    if message.is_topic_message:
        await _acknowledge(message)
    else:
        await _answered(message, desk, done(ComposeMode.REPLY, ticket.number, asked=False))


async def _acknowledge(message: Message) -> None:
    try:
        await message.react([ReactionTypeEmoji(emoji="👍")])
    except TelegramBadRequest:
        pass  # reactions may be off in the group: the message went all the same


async def refuse_other_content(message: Message, ticket_id: int, desk: Desk) -> None:
    await _answered(message, desk, only_text_and_photos())


def build_router() -> Router:
    router = staff_groups("staff.topics")
    router.message.filter(at_desk)
    audit: dict[str, Any] = {"audit": "ticket.reply"}
    note: dict[str, Any] = {"audit": "ticket.note"}
    messages = router.message
    # In a ticket's topic.
    messages.register(note_in_topic, Command("note"), in_ticket_topic, flags=note)
    messages.register(note_in_topic, _is_note, in_ticket_topic, flags=note)
    content = F.text | F.photo
    messages.register(tell_resident, content, _not_a_command, in_ticket_topic, flags=audit)
    messages.register(refuse_other_content, OTHER_CONTENT, in_ticket_topic)
    # A Telegram reply to a line about a ticket, in any staff group.
    messages.register(note_in_topic, Command("note"), replies_to_ticket_line, flags=note)
    messages.register(note_in_topic, _is_note, replies_to_ticket_line, flags=note)
    messages.register(tell_resident, content, _not_a_command, replies_to_ticket_line, flags=audit)
    return router
