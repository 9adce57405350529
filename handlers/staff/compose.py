"""Writing a reply, a note, a resolution or a cancel reason after pressing its button.

The bot asks with a prompt in the chat where the button was pressed, and the
presser's next message there is the answer: in a private chat, and in a staff group
(in the same forum topic) for :data:`GROUP_PROMPT_MINUTES`; a later message in the
group is not relayed (the presser is told once), so a forgotten prompt never sends
ordinary chatter to a resident. The prompt shows ✖ Cancel (and /cancel works). The
bot sees messages that are not replies to it only where it is an admin or its
privacy mode is off; a Telegram reply to the prompt always works. A reply may carry
photos: one photo with a caption is
sent at once; an album or captionless photos are collected until text arrives or
"Send" is pressed. Each kind of prompt has its own state, so a refused answer is
audited under its own name (``ticket.reply``, ``ticket.cancel`` …).
"""

from __future__ import annotations

import contextlib
import html
from datetime import datetime, timedelta
from typing import Any

from aiogram import Bot, F, Router
from aiogram.exceptions import TelegramBadRequest
from aiogram.filters import Command, StateFilter
from aiogram.filters.callback_data import CallbackQueryFilter
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, Message, ReplyParameters
from aiogram.utils.i18n import gettext as _

from bot.presentation.buttons.tickets import ComposeAction, ComposeButton
from bot.presentation.staff.compose import (
    ComposeMode,
    ask_for_text,
    done,
    photos_attached,
    prompt_keyboard,
    prompt_text,
)
from bot.presentation.staff.conversation import prompt_expired
from bot.services.context import Context
from bot.services.tickets import lifecycle
from bot.services.tickets.lifecycle import Photo
from bot.services.tickets.refusals import PromptNotYours
from handlers.desk import Desk, at_desk
from handlers.prompts import close_prompt
from handlers.staff.common import editable, mention, pressed_on, thread_of
from storage.models import Ticket

# In a group, the presser's messages count as the answer for this long after the prompt.
GROUP_PROMPT_MINUTES = 10


class Composing(StatesGroup):
    reply = State()
    note = State()
    resolve = State()
    cancel = State()


def _state(mode: ComposeMode) -> State:
    state: State = getattr(Composing, mode.value)
    return state


async def start(callback: CallbackQuery, desk: Desk, ticket: Ticket, mode: ComposeMode) -> None:
    """Ask for the text (called by the card's button, after the checks)."""
    message = pressed_on(callback)
    in_group = message.chat.type != "private"
    user = callback.from_user
    name = mention(user.id, user.full_name) if in_group else html.escape(user.first_name)
    prompt = await desk.bot.send_message(
        message.chat.id,
        prompt_text(mode, name, ticket.number, in_group=in_group, minutes=GROUP_PROMPT_MINUTES),
        reply_markup=prompt_keyboard(mode, ticket.id, ask=False, can_send=False),
        message_thread_id=thread_of(message),
        reply_parameters=ReplyParameters(
            message_id=message.message_id, allow_sending_without_reply=True
        ),
    )
    await desk.state.set_state(_state(mode))
    await desk.state.set_data(
        {
            "mode": mode.value,
            "ticket_id": ticket.id,
            "number": ticket.number,
            "prompt_id": prompt.message_id,
            "targets": [prompt.message_id],
            "asked_at": desk.ctx.now.isoformat(),
            "thread_id": thread_of(message),
            "ask": False,
            "photos": [],
            "text": None,
            "albums": [],
        }
    )
    await callback.answer()


# ------------------------------------------------------------------ filters


def _expired(data: dict[str, Any], ctx: Context) -> bool:
    asked_at = data.get("asked_at")
    if not asked_at:
        return False  # a prompt from before time-outs: answered as it was then
    return ctx.now - datetime.fromisoformat(asked_at) > timedelta(minutes=GROUP_PROMPT_MINUTES)


async def answers_my_prompt(message: Message, state: FSMContext, ctx: Context) -> bool:
    """The next message is the answer: in a private chat; in a group, in the prompt's
    topic (or a reply to the prompt) while the prompt is fresh."""
    if message.chat.type == "private":
        return True
    data = await state.get_data()
    target = message.reply_to_message
    to_prompt = target is not None and target.message_id in data.get("targets", [])
    in_place = thread_of(message) == data.get("thread_id")
    return (to_prompt or in_place) and not _expired(data, ctx)


async def prompt_has_expired(message: Message, state: FSMContext, ctx: Context) -> bool:
    """In a group, the presser wrote after the prompt's time."""
    if message.chat.type == "private":
        return False
    data = await state.get_data()
    return thread_of(message) == data.get("thread_id") and _expired(data, ctx)


async def presses_my_prompt(
    callback: CallbackQuery, callback_data: ComposeAction, state: FSMContext
) -> bool:
    """A button of the prompt this person is answering now."""
    data = await state.get_data()
    return (
        await state.get_state() in Composing.__state_names__
        and data.get("ticket_id") == callback_data.ticket_id
        and callback.message is not None
        and callback.message.message_id in data.get("targets", [])
    )


# ------------------------------------------------------------------ finishing


async def _finish(desk: Desk, data: dict[str, Any], text: str, *, in_group: bool) -> str:
    """Make the change; returns the confirmation. The prompt is over either way: a
    refusal (raised here) is answered by the refusal middleware."""
    await desk.state.clear()
    session, ctx, actor = desk.session, desk.ctx, desk.actor
    mode, ticket_id, asked = ComposeMode(data["mode"]), data["ticket_id"], bool(data.get("ask"))
    if mode is ComposeMode.REPLY:
        photos = [Photo(file_id, unique_id) for file_id, unique_id in data.get("photos", [])]
        await lifecycle.reply_to_resident(
            session,
            ctx,
            ticket_id,
            actor,
            text,
            photos,
            ask_for_answer=asked,
            in_private=not in_group,
        )
    elif mode is ComposeMode.NOTE:
        await lifecycle.add_note(session, ctx, ticket_id, actor, text)
    elif mode is ComposeMode.RESOLVE:
        await lifecycle.resolve(session, ctx, ticket_id, actor, text)
    else:
        await lifecycle.cancel_by_staff(session, ctx, ticket_id, actor, text)
    return done(mode, data["number"], asked=asked)


async def _close_prompt(bot: Bot, chat_id: int, data: dict[str, Any]) -> None:
    await close_prompt(bot, chat_id, data["prompt_id"])


# ------------------------------------------------------------------ messages


async def receive_answer(message: Message, desk: Desk) -> None:
    data = await desk.state.get_data()
    mode = ComposeMode(data["mode"])
    if message.photo and mode is ComposeMode.REPLY:
        await _collect_photo(message, desk, data)
        return
    text = message.text or message.caption
    if not text:
        await message.reply(ask_for_text(mode))
        return
    if data.get("text"):
        text = f"{data['text']}\n{text}"  # an album's caption, then the words that follow
    await _complete(message, desk, data, text)


async def expired_answer(message: Message, bot: Bot, state: FSMContext) -> None:
    """Too late for the prompt: nothing is relayed, the presser hears it once."""
    data = await state.get_data()
    await state.clear()
    await _close_prompt(bot, message.chat.id, data)
    await message.reply(prompt_expired(data.get("number", ""), GROUP_PROMPT_MINUTES))


async def cancel_composing(message: Message, bot: Bot, state: FSMContext) -> None:
    data = await state.get_data()
    await state.clear()
    if "prompt_id" in data:
        await _close_prompt(bot, message.chat.id, data)
    await message.reply(_("Cancelled."))


async def _collect_photo(message: Message, desk: Desk, data: dict[str, Any]) -> None:
    assert message.photo is not None
    largest = message.photo[-1]
    data["photos"] = [*data.get("photos", []), [largest.file_id, largest.file_unique_id]]
    if message.caption and message.media_group_id is None:
        await _complete(message, desk, data, message.caption)
        return
    if message.caption:
        data["text"] = message.caption
    album = message.media_group_id
    if album is None or album not in data.get("albums", []):
        # One acknowledgement per album, not one per photo.
        ack = await message.reply(
            photos_attached(data["number"]),
            reply_markup=prompt_keyboard(None, data["ticket_id"], ask=False, can_send=True),
        )
        data["targets"] = [*data["targets"], ack.message_id]
        if album is not None:
            data["albums"] = [*data.get("albums", []), album]
    await desk.state.set_data(data)


async def _complete(message: Message, desk: Desk, data: dict[str, Any], text: str) -> None:
    in_group = message.chat.type != "private"
    confirmation = await _finish(desk, data, text, in_group=in_group)
    await _close_prompt(desk.bot, message.chat.id, data)
    await message.reply(confirmation)


# ------------------------------------------------------------------ buttons


async def cancel_prompt(callback: CallbackQuery, bot: Bot, state: FSMContext) -> None:
    data = await state.get_data()
    await state.clear()
    await _close_prompt(bot, pressed_on(callback).chat.id, data)
    await callback.answer(_("Cancelled."))


async def toggle_wait_for_answer(callback: CallbackQuery, bot: Bot, state: FSMContext) -> None:
    data = await state.get_data()
    data["ask"] = not data.get("ask")
    await state.set_data(data)
    mode = ComposeMode(data["mode"])
    with contextlib.suppress(TelegramBadRequest):
        await bot.edit_message_reply_markup(
            chat_id=pressed_on(callback).chat.id,
            message_id=data["prompt_id"],
            reply_markup=prompt_keyboard(mode, data["ticket_id"], ask=data["ask"], can_send=False),
        )
    await callback.answer()


async def send_collected(callback: CallbackQuery, desk: Desk) -> None:
    """Photos collected (and an album's caption): send them now."""
    data = await desk.state.get_data()
    if not (data.get("photos") or data.get("text")):
        await callback.answer(_("Nothing to send yet."), show_alert=True)
        return
    message = editable(callback)
    in_group = message.chat.type != "private"
    text = data.get("text") or ""
    confirmation = await _finish(desk, data, text, in_group=in_group)
    await _close_prompt(desk.bot, message.chat.id, data)
    with contextlib.suppress(TelegramBadRequest):
        await message.edit_reply_markup(reply_markup=None)
    await desk.bot.send_message(message.chat.id, confirmation, message_thread_id=thread_of(message))
    await callback.answer()


async def refuse_prompt(callback: CallbackQuery, callback_data: ComposeAction) -> None:
    """Someone else's prompt, or one no longer active."""
    raise PromptNotYours(ticket_id=callback_data.ticket_id)


def _button(action: ComposeButton) -> CallbackQueryFilter:
    return ComposeAction.filter(F.action == action)


def build_router() -> Router:
    router = Router(name="staff.compose")
    router.message.filter(at_desk)
    router.callback_query.filter(at_desk)
    buttons = router.callback_query
    for mode in ComposeMode:
        # The change is audited under the prompt's own name when refused.
        audit = {"audit": f"ticket.{mode}"}
        buttons.register(
            send_collected,
            _button(ComposeButton.SEND),
            StateFilter(_state(mode)),
            presses_my_prompt,
            flags=audit,
        )
        # Other commands are not answers: they go on to their own handlers.
        router.message.register(
            receive_answer,
            StateFilter(_state(mode)),
            ~F.text.startswith("/"),
            answers_my_prompt,
            flags=audit,
        )
    router.message.register(
        expired_answer, StateFilter(Composing), ~F.text.startswith("/"), prompt_has_expired
    )
    buttons.register(cancel_prompt, _button(ComposeButton.CANCEL), presses_my_prompt)
    buttons.register(toggle_wait_for_answer, _button(ComposeButton.ASK), presses_my_prompt)
    buttons.register(refuse_prompt, ComposeAction.filter(), flags={"audit": "ticket.compose"})
    router.message.register(cancel_composing, StateFilter(Composing), Command("cancel"))
    return router
