"""Acting on an own ticket: comment (text and photos), cancel with a reason,
confirm the fix or say it is not fixed (re-open, with a reason).

Once usable words are given the conversation ends, whatever the answer: a refusal
(the ticket changed meanwhile) is told instead of the confirmation.
"""

from __future__ import annotations

from typing import Any

from aiogram import Bot, F, Router
from aiogram.filters import StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import gettext as _

from bot.presentation.buttons.residents import FollowUpAction, FollowUpChoice
from bot.presentation.buttons.tickets import ResidentAction, ResidentTicketAction
from bot.presentation.residents import tickets as texts
from bot.presentation.residents.keyboards import main_menu
from bot.services import resident_tickets
from bot.services.context import Context
from bot.services.errors import StaleButton
from bot.services.intake.drafts import clean_description
from bot.services.resident_tickets import FollowUp as Kind
from bot.services.resident_tickets import ticket_view
from bot.services.tickets import lifecycle
from bot.services.tickets.lifecycle import Photo
from handlers.prompts import close_prompt
from handlers.resident.common import done_with_buttons, edit_sent, photo_of, show_in_place
from handlers.resident.registered import Turn
from handlers.resident.states import FollowUp

STATES = {
    Kind.COMMENT: FollowUp.comment,
    Kind.CANCEL: FollowUp.cancel_reason,
    Kind.REOPEN: FollowUp.reopen_reason,
}
KINDS = {state.state: kind for kind, state in STATES.items()}


def _photos(data: dict[str, Any]) -> list[Photo]:
    return [Photo(file_id, unique) for file_id, unique in data.get("photos", [])]


async def _pressed_data(state: FSMContext, pressed: FollowUpChoice) -> dict[str, Any]:
    """The follow-up this prompt button belongs to; another one's button is stale."""
    data = await state.get_data()
    if data.get("ticket_id") != pressed.ticket_id:
        raise StaleButton()
    return data


async def ask(callback: CallbackQuery, callback_data: ResidentTicketAction, turn: Turn) -> None:
    """Comment, cancel or re-open: check it is possible now, then ask for the words."""
    view = await ticket_view(
        turn.session, turn.ctx.org, turn.actor, callback_data.ticket_id, turn.locale
    )
    kind = Kind(callback_data.action)
    resident_tickets.check_follow_up(view, kind, callback_data.version)
    await callback.answer()
    ticket = view.ticket
    reply = texts.follow_up_question(kind, ticket.id, ticket.number)
    assert isinstance(callback.message, Message)
    prompt = await callback.message.answer(reply.text, reply_markup=reply.markup)
    await turn.state.set_state(STATES[kind])
    await turn.state.set_data(
        {
            "ticket_id": ticket.id,
            "version": ticket.version,
            "photos": [],
            "prompt_id": prompt.message_id,
        }
    )


async def confirm(callback: CallbackQuery, callback_data: ResidentTicketAction, turn: Turn) -> None:
    ticket_id, session, actor = callback_data.ticket_id, turn.session, turn.actor
    await lifecycle.confirm_fixed(session, turn.ctx, ticket_id, actor, callback_data.version)
    view = await ticket_view(session, turn.ctx.org, actor, ticket_id, turn.locale)
    await callback.answer(_("Thank you! The ticket is closed."))
    await show_in_place(callback, texts.detail(view, turn.ctx.org))


async def _finished(message: Message, turn: Turn, text: str, data: dict[str, Any]) -> None:
    """The conversation is over: its question loses its “« Back”, the main menu comes back."""
    await turn.state.clear()
    prompt_id = data.get("prompt_id")
    if prompt_id != message.message_id and message.bot is not None:
        await close_prompt(message.bot, message.chat.id, prompt_id)
    await message.answer(text, reply_markup=main_menu())


async def words_given(message: Message, turn: Turn) -> None:
    """The comment, the cancel reason or the re-open reason."""
    data = await turn.state.get_data()
    kind = KINDS[await turn.state.get_state() or ""]
    text = clean_description(message.text or "", turn.ctx.org.residents)
    await turn.state.clear()  # from here on, a refusal ends the conversation too
    ticket = await resident_tickets.follow_up(
        turn.session,
        turn.ctx,
        turn.actor,
        kind,
        int(data["ticket_id"]),
        text,
        photos=_photos(data),
        version=data.get("version"),
    )
    await _finished(message, turn, texts.follow_up_done(kind, ticket.number), data)


async def comment_photo(message: Message, state: FSMContext, bot: Bot, ctx: Context) -> None:
    """Photos for a comment are collected (an album is one step), then sent with “Send”."""
    photo = photo_of(message)
    if photo is None:
        return
    data = await state.get_data()
    photos = list(data.get("photos", []))
    if len(photos) < ctx.org.residents.max_photos:
        photos.append(list(photo))
    reply = texts.comment_photos(int(data["ticket_id"]), len(photos))
    same_album = message.media_group_id is not None and message.media_group_id == data.get("album")
    if same_album and data.get("album_ack"):
        await edit_sent(bot, message.chat.id, data["album_ack"], reply.text, reply.markup)
        ack = data["album_ack"]
    else:
        ack = (await message.answer(reply.text, reply_markup=reply.markup)).message_id
    await state.update_data(photos=photos, album=message.media_group_id, album_ack=ack)


async def photos_sent(callback: CallbackQuery, callback_data: FollowUpChoice, turn: Turn) -> None:
    """“Send”: the collected photos are the comment."""
    data = await _pressed_data(turn.state, callback_data)
    await turn.state.clear()
    ticket = await lifecycle.add_resident_comment(
        turn.session, turn.ctx, callback_data.ticket_id, turn.actor, "📷", _photos(data)
    )
    message = await done_with_buttons(callback)
    await _finished(message, turn, texts.photos_added(ticket.number), data)


async def went_back(callback: CallbackQuery, callback_data: FollowUpChoice, turn: Turn) -> None:
    data = await _pressed_data(turn.state, callback_data)
    message = await done_with_buttons(callback)
    await _finished(message, turn, _("All right, nothing was changed."), data)


async def words_expected(message: Message) -> None:
    await message.answer(_("I can only use text here. Please write it, or press “« Back”."))


def build_router() -> Router:
    router = Router(name="resident.follow_up")
    asks = {ResidentAction.COMMENT, ResidentAction.CANCEL, ResidentAction.REOPEN}
    button = router.callback_query.register
    button(ask, ResidentTicketAction.filter(F.action.in_(asks)))
    button(confirm, ResidentTicketAction.filter(F.action == ResidentAction.CONFIRM))
    in_prompt = StateFilter(FollowUp)
    button(photos_sent, in_prompt, FollowUpChoice.filter(F.what == FollowUpAction.SEND))
    button(went_back, in_prompt, FollowUpChoice.filter(F.what == FollowUpAction.BACK))
    text = F.text & ~F.text.startswith("/")
    # A refusal ends the conversation: the resident gets the menu back with it.
    router.message.register(words_given, in_prompt, text, flags={"refusal_markup": main_menu})
    router.message.register(comment_photo, StateFilter(FollowUp.comment), F.photo)
    router.message.register(words_expected, in_prompt)
    return router
