"""Writing a reply, a note or a resolution after pressing its button on a card.

The bot asks with a prompt in the chat where the button was pressed. In a
staff group the answer must be a reply to that prompt (so the bot sees it even
in privacy mode, and ordinary chatter is never relayed to a resident); in a
private chat the next message is the answer. A reply may carry photos: one
photo with a caption is sent at once; an album or captionless photos are
collected until text arrives or "Send" is pressed.
"""

from __future__ import annotations

import contextlib
import html
from typing import Any

from aiogram import Bot, F, Router
from aiogram.exceptions import TelegramBadRequest
from aiogram.filters import Command, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import (
    CallbackQuery,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
    ReplyParameters,
)
from aiogram.utils.i18n import gettext as _
from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import Clock
from bot.config.orgfile import Organisation
from bot.services import staff_desk
from bot.services.people import Actor
from bot.services.staff_desk import REFUSABLE
from bot.services.tickets.lifecycle import Photo
from handlers.callbacks import ComposeAction
from handlers.staff.common import mention, refusal_text, thread_of

MODES = ("reply", "note", "resolve")


class Composing(StatesGroup):
    waiting = State()


def _prompt_text(mode: str, name: str, number: str, in_group: bool) -> str:
    if mode == "reply":
        text = _(
            "✍️ {name}, your answer to {number} goes to the resident: text, or photos "
            "with a caption."
        )
    elif mode == "note":
        text = _("📝 {name}, write an internal note for {number}. Residents never see notes.")
    else:
        text = _(
            "✅ {name}, what was done for {number}? The resident will be asked to confirm the fix."
        )
    hint = _("Reply to this message.") if in_group else _("Send it here.")
    return f"{text.format(name=name, number=number)}\n{hint}"


def _keyboard(mode: str, ticket_id: int, *, ask: bool, can_send: bool) -> InlineKeyboardMarkup:
    def button(text: str, action: str) -> InlineKeyboardButton:
        data = ComposeAction(action=action, ticket_id=ticket_id).pack()
        return InlineKeyboardButton(text=text, callback_data=data)

    rows = []
    if mode == "reply":
        label = (
            _("⏸ Wait for the resident's answer: on")
            if ask
            else _("⏸ Wait for the resident's answer: off")
        )
        rows.append([button(label, "ask")])
    last = [button(_("✖ Cancel"), "cancel")]
    if can_send:
        last.insert(0, button(_("📤 Send"), "send"))
    rows.append(last)
    return InlineKeyboardMarkup(inline_keyboard=rows)


async def start(
    callback: CallbackQuery, bot: Bot, state: FSMContext, ticket: Any, mode: str
) -> None:
    """Ask for the text (called by the card's button, after the checks)."""
    assert callback.message is not None
    chat = callback.message.chat
    in_group = chat.type != "private"
    user = callback.from_user
    name = mention(user.id, user.full_name) if in_group else html.escape(user.first_name)
    prompt = await bot.send_message(
        chat.id,
        _prompt_text(mode, name, ticket.number, in_group),
        reply_markup=_keyboard(mode, ticket.id, ask=False, can_send=False),
        message_thread_id=thread_of(callback.message),
        reply_parameters=ReplyParameters(
            message_id=callback.message.message_id, allow_sending_without_reply=True
        ),
    )
    await state.set_state(Composing.waiting)
    await state.set_data(
        {
            "mode": mode,
            "ticket_id": ticket.id,
            "number": ticket.number,
            "prompt_id": prompt.message_id,
            "targets": [prompt.message_id],
            "ask": False,
            "photos": [],
            "text": None,
            "albums": [],
        }
    )
    await callback.answer()


# ------------------------------------------------------------------ filters


async def answers_my_prompt(message: Message, state: FSMContext) -> bool:
    """In a group, only a reply to our prompt (or its follow-ups) counts as the answer."""
    if message.chat.type == "private":
        return True
    target = message.reply_to_message
    data = await state.get_data()
    return target is not None and target.message_id in data.get("targets", [])


# ------------------------------------------------------------------ finishing


async def _finish(
    session: AsyncSession,
    clock: Clock,
    organisation: Organisation,
    actor: Actor | None,
    data: dict[str, Any],
    text: str,
    in_group: bool,
) -> str:
    """Make the change; returns the confirmation for the staff member."""
    actor = staff_desk.require_staff(actor)
    ctx = staff_desk.context(organisation, clock.now())
    ticket_id, number, mode = data["ticket_id"], data["number"], data["mode"]
    if mode == "reply":
        photos = [Photo(file_id, unique_id) for file_id, unique_id in data.get("photos", [])]
        await staff_desk.reply(
            session,
            ctx,
            actor,
            ticket_id,
            text,
            photos,
            ask_for_answer=bool(data.get("ask")),
            from_private_chat=not in_group,
        )
        if data.get("ask"):
            return _(
                "✅ Sent to the resident of {number}. The ticket now waits for their answer."
            ).format(number=number)
        return _("✅ Sent to the resident of {number}.").format(number=number)
    if mode == "note":
        await staff_desk.note(session, ctx, actor, ticket_id, text)
        return _("📝 Note saved on {number}. Residents never see it.").format(number=number)
    await staff_desk.resolve(session, ctx, actor, ticket_id, text)
    return _("✅ {number} is resolved. The resident was asked to confirm the fix.").format(
        number=number
    )


async def _close_prompt(bot: Bot, chat_id: int, data: dict[str, Any]) -> None:
    with contextlib.suppress(TelegramBadRequest):
        await bot.edit_message_reply_markup(
            chat_id=chat_id, message_id=data["prompt_id"], reply_markup=None
        )


# ------------------------------------------------------------------ messages


async def receive_answer(
    message: Message,
    bot: Bot,
    state: FSMContext,
    session: AsyncSession,
    clock: Clock,
    organisation: Organisation,
    actor: Actor | None = None,
) -> None:
    data = await state.get_data()
    if data.get("mode") not in MODES:
        await state.clear()
        return
    if message.photo and data["mode"] == "reply":
        await _collect_photo(message, state, data, session, clock, organisation, actor)
        return
    text = message.text or message.caption
    if not text:
        await message.reply(
            _("Please send text or photos.")
            if data["mode"] == "reply"
            else _("Please write it as text.")
        )
        return
    if data.get("text"):
        text = f"{data['text']}\n{text}"  # an album's caption, then the words that follow
    await _complete(message, bot, state, session, clock, organisation, actor, data, text)


async def cancel_composing(message: Message, bot: Bot, state: FSMContext) -> None:
    data = await state.get_data()
    await state.clear()
    if "prompt_id" in data:
        await _close_prompt(bot, message.chat.id, data)
    await message.reply(_("Cancelled."))


async def _collect_photo(
    message: Message,
    state: FSMContext,
    data: dict[str, Any],
    session: AsyncSession,
    clock: Clock,
    organisation: Organisation,
    actor: Actor | None,
) -> None:
    assert message.photo is not None and message.bot is not None
    largest = message.photo[-1]
    data["photos"] = [*data.get("photos", []), [largest.file_id, largest.file_unique_id]]
    if message.caption and message.media_group_id is None:
        await _complete(
            message, message.bot, state, session, clock, organisation, actor, data, message.caption
        )
        return
    if message.caption:
        data["text"] = message.caption
    album = message.media_group_id
    if album is None or album not in data.get("albums", []):
        # One acknowledgement per album, not one per photo.
        ack = await message.reply(
            _(
                "📎 Photos attached to {number}. Add text (reply to this message) or press Send."
            ).format(number=data["number"])
            if message.chat.type != "private"
            else _("📎 Photos attached to {number}. Add text, or press Send.").format(
                number=data["number"]
            ),
            reply_markup=_keyboard("send", data["ticket_id"], ask=False, can_send=True),
        )
        data["targets"] = [*data["targets"], ack.message_id]
        if album is not None:
            data["albums"] = [*data.get("albums", []), album]
    await state.set_data(data)


async def _complete(
    message: Message,
    bot: Bot,
    state: FSMContext,
    session: AsyncSession,
    clock: Clock,
    organisation: Organisation,
    actor: Actor | None,
    data: dict[str, Any],
    text: str,
) -> None:
    in_group = message.chat.type != "private"
    try:
        confirmation = await _finish(session, clock, organisation, actor, data, text, in_group)
    except REFUSABLE as error:
        await state.clear()
        refusal = await staff_desk.refuse(
            session,
            clock.now(),
            actor,
            f"ticket.{data['mode']}",
            error,
            ticket_id=data["ticket_id"],
            data={"chat_id": message.chat.id},
        )
        await message.reply(refusal_text(refusal))
        return
    await state.clear()
    await _close_prompt(bot, message.chat.id, data)
    await message.reply(confirmation)


# ------------------------------------------------------------------ buttons


async def press_compose_button(
    callback: CallbackQuery,
    callback_data: ComposeAction,
    bot: Bot,
    state: FSMContext,
    session: AsyncSession,
    clock: Clock,
    organisation: Organisation,
    actor: Actor | None = None,
) -> None:
    data = await state.get_data()
    active = (
        await state.get_state() == Composing.waiting.state
        and data.get("ticket_id") == callback_data.ticket_id
        and callback.message is not None
        and callback.message.message_id in data.get("targets", [])
    )
    if not active:
        await _refuse_prompt(callback, session, clock, actor, callback_data)
        return
    assert callback.message is not None
    chat_id = callback.message.chat.id
    if callback_data.action == "cancel":
        await state.clear()
        await _close_prompt(bot, chat_id, data)
        await callback.answer(_("Cancelled."))
    elif callback_data.action == "ask":
        data["ask"] = not data.get("ask")
        await state.set_data(data)
        with contextlib.suppress(TelegramBadRequest):
            await bot.edit_message_reply_markup(
                chat_id=chat_id,
                message_id=data["prompt_id"],
                reply_markup=_keyboard(
                    data["mode"], data["ticket_id"], ask=data["ask"], can_send=False
                ),
            )
        await callback.answer()
    elif callback_data.action == "send" and (data.get("photos") or data.get("text")):
        in_group = callback.message.chat.type != "private"
        try:
            confirmation = await _finish(
                session, clock, organisation, actor, data, data.get("text") or "", in_group
            )
        except REFUSABLE as error:
            await state.clear()
            await _refuse(callback, session, clock, actor, data, error)
            return
        await state.clear()
        await _close_prompt(bot, chat_id, data)
        with contextlib.suppress(TelegramBadRequest):
            await callback.message.edit_reply_markup(reply_markup=None)
        await bot.send_message(chat_id, confirmation, message_thread_id=thread_of(callback.message))
        await callback.answer()
    else:
        await callback.answer(_("Nothing to send yet."), show_alert=True)


async def _refuse(callback, session, clock, actor, data, error) -> None:
    refusal = await staff_desk.refuse(
        session,
        clock.now(),
        actor,
        f"ticket.{data['mode']}",
        error,
        ticket_id=data["ticket_id"],
        data={"callback": callback.data},
    )
    await callback.answer(refusal_text(refusal), show_alert=True)


async def _refuse_prompt(callback, session, clock, actor, callback_data) -> None:
    refusal = await staff_desk.refuse(
        session,
        clock.now(),
        actor,
        "ticket.compose",
        staff_desk.PromptNotYours(),
        ticket_id=callback_data.ticket_id,
        data={"callback": callback.data},
    )
    await callback.answer(refusal_text(refusal), show_alert=True)


def build_router() -> Router:
    router = Router(name="staff.compose")
    router.callback_query.register(press_compose_button, ComposeAction.filter())
    router.message.register(cancel_composing, StateFilter(Composing.waiting), Command("cancel"))
    # Other commands are not answers: they go on to their own handlers.
    router.message.register(
        receive_answer,
        StateFilter(Composing.waiting),
        ~F.text.startswith("/"),
        answers_my_prompt,
    )
    return router
