"""Acting on an own ticket: comment (text and photos), cancel with a reason,
confirm the fix or say it is not fixed (re-open, with a reason)."""

from __future__ import annotations

import html

from aiogram import Bot, F, Router
from aiogram.filters import StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import gettext as _
from sqlalchemy.ext.asyncio import AsyncSession

from bot.app.context import Context
from bot.clock import Clock
from bot.config.orgfile import Organisation
from bot.services.access import AccessDenied
from bot.services.intake.drafts import DraftRefused, clean_description
from bot.services.people import Actor
from bot.services.resident_tickets import ticket_view
from bot.services.tickets import lifecycle
from bot.services.tickets.lifecycle import Photo, StaleAction, TicketNotFound
from bot.services.tickets.transitions import IllegalTransition, is_open
from handlers.callbacks import ResidentTicketAction
from handlers.resident.callbacks import FollowUpChoice
from handlers.resident.common import (
    clear_buttons,
    edit_sent,
    photo_of,
    refusal,
    replace_text,
    resident_for,
)
from handlers.resident.keyboards import inline, main_menu
from handlers.resident.states import FollowUp
from handlers.resident.tickets import render_detail
from storage.models import TicketStatus

REFUSALS = (AccessDenied, TicketNotFound, StaleAction, IllegalTransition, DraftRefused)


def _back_button(ticket_id: int, photos: int = 0):
    rows = []
    if photos:
        rows.append([(_("📤 Send"), FollowUpChoice(what="send", ticket_id=ticket_id).pack())])
    rows.append([(_("« Back"), FollowUpChoice(what="back", ticket_id=ticket_id).pack())])
    return inline(rows)


async def ask(
    callback: CallbackQuery,
    callback_data: ResidentTicketAction,
    state: FSMContext,
    session: AsyncSession,
    organisation: Organisation,
    actor: Actor,
) -> None:
    """Comment, cancel or re-open: check it is possible now, then ask for the words."""
    if await resident_for(callback, session, organisation) is None:
        return
    try:
        view = await ticket_view(session, organisation, actor, callback_data.ticket_id)
    except (AccessDenied, TicketNotFound) as error:
        await callback.answer(refusal(error), show_alert=True)
        return
    ticket, action = view.ticket, callback_data.action
    possible = {
        "comment": is_open(ticket.status),
        "cancel": is_open(ticket.status) and view.is_owner,
        "reopen": ticket.status is TicketStatus.RESOLVED
        and ticket.version == callback_data.version,
    }[action]
    if not possible:
        await callback.answer(_(StaleAction.reason), show_alert=True)
        return
    await callback.answer()
    state_for = {
        "comment": FollowUp.comment,
        "cancel": FollowUp.cancel_reason,
        "reopen": FollowUp.reopen_reason,
    }
    question = {
        "comment": _("Write your comment for {number}, or send photos and press “Send”."),
        "cancel": _("Why do you want to cancel {number}? Please write a short reason."),
        "reopen": _("What is still wrong with {number}? Please write a short description."),
    }
    await state.set_state(state_for[action])
    await state.set_data({"ticket_id": ticket.id, "version": ticket.version, "photos": []})
    assert isinstance(callback.message, Message)
    await callback.message.answer(
        question[action].format(number=ticket.number), reply_markup=_back_button(ticket.id)
    )


async def confirm(
    callback: CallbackQuery,
    callback_data: ResidentTicketAction,
    session: AsyncSession,
    organisation: Organisation,
    actor: Actor,
    clock: Clock,
) -> None:
    if await resident_for(callback, session, organisation) is None:
        return
    ctx = Context(organisation, clock.now())
    try:
        await lifecycle.confirm_fixed(
            session, ctx, callback_data.ticket_id, actor, callback_data.version
        )
        view = await ticket_view(session, organisation, actor, callback_data.ticket_id)
    except REFUSALS as error:
        await callback.answer(refusal(error), show_alert=True)
        return
    await callback.answer(_("Thank you! The ticket is closed."))
    if isinstance(callback.message, Message):
        text, markup = render_detail(view, organisation, back_page=0)
        await replace_text(callback.message, text, reply_markup=markup)


async def _finish(message: Message, state: FSMContext, text: str) -> None:
    await state.clear()
    await message.answer(text, reply_markup=main_menu())


async def words_given(
    message: Message,
    state: FSMContext,
    session: AsyncSession,
    organisation: Organisation,
    actor: Actor,
    clock: Clock,
) -> None:
    """The comment, the cancel reason or the re-open reason."""
    if await resident_for(message, session, organisation) is None:
        return
    data = await state.get_data()
    current = await state.get_state()
    ctx = Context(organisation, clock.now())
    ticket_id = int(data["ticket_id"])
    try:
        text = clean_description(message.text or "", organisation.residents)
        if current == FollowUp.comment.state:
            photos = [Photo(file_id, unique) for file_id, unique in data.get("photos", [])]
            ticket = await lifecycle.add_resident_comment(
                session, ctx, ticket_id, actor, text, photos
            )
            done = _("Your comment was added to {number}; the property office sees it.")
        elif current == FollowUp.cancel_reason.state:
            ticket = await lifecycle.cancel_by_resident(session, ctx, ticket_id, actor, text)
            done = _("Ticket {number} is cancelled.")
        else:
            ticket = await lifecycle.reopen(
                session, ctx, ticket_id, actor, text, expected_version=data.get("version")
            )
            done = _("Ticket {number} is open again; the property office will look at it again.")
    except DraftRefused as error:
        await message.answer(refusal(error))
        return
    except REFUSALS as error:
        await _finish(message, state, refusal(error))
        return
    await _finish(message, state, done.format(number=html.escape(ticket.number)))


async def comment_photo(
    message: Message, state: FSMContext, bot: Bot, organisation: Organisation
) -> None:
    """Photos for a comment are collected (an album is one step), then sent with “Send”."""
    photo = photo_of(message)
    if photo is None:
        return
    data = await state.get_data()
    photos = list(data.get("photos", []))
    if len(photos) < organisation.residents.max_photos:
        photos.append(list(photo))
    text = _("Photos attached: {count}. Add a few words, or press “Send”.").format(
        count=len(photos)
    )
    markup = _back_button(int(data["ticket_id"]), len(photos))
    same_album = message.media_group_id is not None and message.media_group_id == data.get("album")
    if same_album and data.get("album_ack"):
        await edit_sent(bot, message.chat.id, data["album_ack"], text, markup)
        ack = data["album_ack"]
    else:
        ack = (await message.answer(text, reply_markup=markup)).message_id
    await state.update_data(photos=photos, album=message.media_group_id, album_ack=ack)


async def follow_up_button(
    callback: CallbackQuery,
    callback_data: FollowUpChoice,
    state: FSMContext,
    session: AsyncSession,
    organisation: Organisation,
    actor: Actor,
    clock: Clock,
) -> None:
    data = await state.get_data()
    if data.get("ticket_id") != callback_data.ticket_id:
        await callback.answer(_("This button is no longer valid."), show_alert=True)
        return
    assert isinstance(callback.message, Message)
    await callback.answer()
    await clear_buttons(callback.message)
    if callback_data.what == "back":
        await _finish(callback.message, state, _("All right, nothing was changed."))
        return
    photos = [Photo(file_id, unique) for file_id, unique in data.get("photos", [])]
    try:
        ticket = await lifecycle.add_resident_comment(
            session,
            Context(organisation, clock.now()),
            callback_data.ticket_id,
            actor,
            "📷",
            photos,
        )
    except REFUSALS as error:
        await _finish(callback.message, state, refusal(error))
        return
    await _finish(
        callback.message,
        state,
        _("Your photos were added to {number}; the property office sees them.").format(
            number=ticket.number
        ),
    )


async def words_expected(message: Message) -> None:
    await message.answer(_("I can only use text here. Please write it, or press “« Back”."))


def build_router() -> Router:
    router = Router(name="resident.follow_up")
    router.message.filter(F.chat.type == "private")
    router.callback_query.filter(F.message.chat.type == "private")
    router.callback_query.register(
        ask, ResidentTicketAction.filter(F.action.in_({"comment", "cancel", "reopen"}))
    )
    router.callback_query.register(confirm, ResidentTicketAction.filter(F.action == "confirm"))
    router.callback_query.register(follow_up_button, StateFilter(FollowUp), FollowUpChoice.filter())
    text = F.text & ~F.text.startswith("/")
    router.message.register(words_given, StateFilter(FollowUp), text)
    router.message.register(comment_photo, StateFilter(FollowUp.comment), F.photo)
    router.message.register(words_expected, StateFilter(FollowUp))
    return router
