"""After a ticket is resolved: "is it fixed?", the rating, reasons and comment, or
why it is not fixed; and the managers' "I will call back" on an unhappy resident."""

from __future__ import annotations

import contextlib
from functools import cache

from aiogram import Bot, F, Router
from aiogram.dispatcher.event.bases import SkipHandler
from aiogram.exceptions import TelegramBadRequest
from aiogram.filters import StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message
from aiogram.utils.i18n import I18n
from aiogram.utils.i18n import gettext as _
from sqlalchemy.ext.asyncio import AsyncSession

from bot.app.context import Context
from bot.clock import Clock
from bot.config.orgfile import Organisation
from bot.services.access import AccessDenied
from bot.services.people import Actor
from bot.services.surveys import buttons as b
from bot.services.surveys import complaints, post_ticket
from bot.services.surveys.errors import SurveyError
from bot.services.surveys.post_ticket import CommentPrompt, Finished, ReasonsPrompt
from bot.services.tickets.lifecycle import AlreadyTaken, StaleAction
from bot.services.tickets.transitions import IllegalTransition
from handlers.callbacks import ResidentTicketAction
from handlers.resident.keyboards import all_menu_labels
from handlers.surveys import keyboards
from handlers.surveys.callbacks import SurveyButton
from handlers.surveys.states import INVITATION, TicketFeedback


@cache
def _menu_labels() -> frozenset[str]:
    return all_menu_labels()


def not_a_command(message: Message) -> bool:
    """Commands and the residents' menu buttons always reach their own handlers,
    whatever survey is open: they are not an answer."""
    text = message.text or ""
    return not text.startswith("/") and text not in _menu_labels()


def _ctx(organisation: Organisation, clock: Clock) -> Context:
    return Context(org=organisation, now=clock.now())


async def _send(
    callback: CallbackQuery, bot: Bot, text: str, markup: InlineKeyboardMarkup | None = None
) -> None:
    chat_id = callback.message.chat.id if callback.message else callback.from_user.id
    await bot.send_message(chat_id, text, reply_markup=markup)


async def _edit(callback: CallbackQuery, text: str | None = None) -> None:
    """Take the buttons off the message pressed (and show the answer in it)."""
    message = callback.message
    if not isinstance(message, Message):
        return
    with contextlib.suppress(TelegramBadRequest):
        if text is None:
            await message.edit_reply_markup(reply_markup=None)
        else:
            await message.edit_text(text, reply_markup=None)


async def _refuse(callback: CallbackQuery, reason: str) -> None:
    await callback.answer(_(reason), show_alert=True)


def _finished_text(finished: Finished) -> str:
    lines = [_("Thank you for your feedback!")]
    if finished.closed:
        lines.append(_("Ticket {number} is now closed.").format(number=finished.ticket_number))
    if finished.low_score:
        lines.append(_("We are sorry it did not go well. The project manager will call you back."))
    return "\n".join(lines)


# ------------------------------------------------------------------ "is it fixed?"


async def fixed(
    callback: CallbackQuery,
    callback_data: ResidentTicketAction,
    bot: Bot,
    session: AsyncSession,
    actor: Actor,
    organisation: Organisation,
    clock: Clock,
    state: FSMContext,
) -> None:
    try:
        prompt = await post_ticket.answer_fixed(
            session,
            _ctx(organisation, clock),
            actor,
            callback_data.ticket_id,
            callback_data.version,
        )
    except (SurveyError, AccessDenied) as error:
        await _refuse(callback, error.reason)
        return
    await callback.answer()
    await _edit(callback)
    await state.set_state(TicketFeedback.buttons)
    await state.update_data({INVITATION: prompt.invitation_id})
    await _send(callback, bot, *keyboards.rating(prompt))


async def not_fixed(
    callback: CallbackQuery,
    callback_data: ResidentTicketAction,
    bot: Bot,
    session: AsyncSession,
    actor: Actor,
    organisation: Organisation,
    clock: Clock,
    state: FSMContext,
) -> None:
    try:
        prompt = await post_ticket.answer_not_fixed(
            session,
            _ctx(organisation, clock),
            actor,
            callback_data.ticket_id,
            callback_data.version,
        )
    except (SurveyError, AccessDenied) as error:
        await _refuse(callback, error.reason)
        return
    await callback.answer()
    await _edit(callback)
    await state.set_state(TicketFeedback.not_fixed_reason)
    await state.update_data({INVITATION: prompt.invitation_id})
    await _send(callback, bot, *keyboards.not_fixed(prompt))


async def reason_given(
    message: Message,
    session: AsyncSession,
    actor: Actor,
    organisation: Organisation,
    clock: Clock,
    state: FSMContext,
) -> None:
    assert message.text is not None
    invitation_id = (await state.get_data()).get(INVITATION, 0)
    try:
        number = await post_ticket.give_not_fixed_reason(
            session, _ctx(organisation, clock), actor, invitation_id, message.text
        )
    except SurveyError as error:
        await state.clear()
        await message.answer(_(error.reason))
        return
    await state.clear()
    await message.answer(
        _("Ticket {number} has been re-opened and the staff have been told what is wrong.").format(
            number=number
        )
    )


# ------------------------------------------------------------------ rating, reasons, comment


async def rated(
    callback: CallbackQuery,
    callback_data: SurveyButton,
    bot: Bot,
    session: AsyncSession,
    actor: Actor,
    organisation: Organisation,
    clock: Clock,
    state: FSMContext,
    i18n: I18n,
) -> None:
    try:
        score = int(callback_data.value)
        prompt = await post_ticket.rate(
            session, _ctx(organisation, clock), actor, callback_data.target_id, score
        )
    except (SurveyError, ValueError) as error:
        await _refuse(callback, getattr(error, "reason", SurveyError.reason))
        return
    await callback.answer()
    await _edit(callback, _("Your rating: {stars}").format(stars=keyboards.stars(score)))
    await state.update_data({INVITATION: prompt.invitation_id})
    if isinstance(prompt, ReasonsPrompt):
        await state.set_state(TicketFeedback.buttons)
        await _send(callback, bot, *keyboards.reasons(prompt, i18n.current_locale))
    else:
        await state.set_state(TicketFeedback.comment)
        await _send(callback, bot, *keyboards.comment(prompt))


async def reason_toggled(
    callback: CallbackQuery,
    callback_data: SurveyButton,
    session: AsyncSession,
    actor: Actor,
    organisation: Organisation,
    clock: Clock,
    i18n: I18n,
) -> None:
    try:
        prompt = await post_ticket.toggle_reason(
            session, _ctx(organisation, clock), actor, callback_data.target_id, callback_data.value
        )
    except SurveyError as error:
        await _refuse(callback, error.reason)
        return
    await callback.answer()
    if isinstance(callback.message, Message):
        _, markup = keyboards.reasons(prompt, i18n.current_locale)
        with contextlib.suppress(TelegramBadRequest):
            await callback.message.edit_reply_markup(reply_markup=markup)


async def reasons_done(
    callback: CallbackQuery,
    callback_data: SurveyButton,
    bot: Bot,
    session: AsyncSession,
    actor: Actor,
    organisation: Organisation,
    clock: Clock,
    state: FSMContext,
) -> None:
    try:
        prompt = await post_ticket.reasons_done(
            session, _ctx(organisation, clock), actor, callback_data.target_id
        )
    except SurveyError as error:
        await _refuse(callback, error.reason)
        return
    await callback.answer()
    await _edit(callback)
    await state.set_state(TicketFeedback.comment)
    await state.update_data({INVITATION: prompt.invitation_id})
    await _send(callback, bot, *keyboards.comment(prompt))


async def comment_skipped(
    callback: CallbackQuery,
    callback_data: SurveyButton,
    bot: Bot,
    session: AsyncSession,
    actor: Actor,
    organisation: Organisation,
    clock: Clock,
    state: FSMContext,
) -> None:
    try:
        finished = await post_ticket.finish(
            session, _ctx(organisation, clock), actor, callback_data.target_id, None
        )
    except SurveyError as error:
        await _refuse(callback, error.reason)
        return
    await callback.answer()
    await _edit(callback)
    await state.clear()
    await _send(callback, bot, _finished_text(finished))


async def comment_written(
    message: Message,
    session: AsyncSession,
    actor: Actor,
    organisation: Organisation,
    clock: Clock,
    state: FSMContext,
) -> None:
    invitation_id = (await state.get_data()).get(INVITATION, 0)
    try:
        finished = await post_ticket.finish(
            session, _ctx(organisation, clock), actor, invitation_id, message.text
        )
    except SurveyError:
        await state.clear()
        raise SkipHandler from None  # that survey is over: let the message be read as usual
    await state.clear()
    await message.answer(_finished_text(finished))


async def buttons_expected(
    message: Message,
    session: AsyncSession,
    actor: Actor,
    organisation: Organisation,
    clock: Clock,
    state: FSMContext,
    i18n: I18n,
) -> None:
    """Text (or anything) while a rating or reasons are open: ask again."""
    invitation_id = (await state.get_data()).get(INVITATION, 0)
    try:
        prompt = await post_ticket.current_prompt(
            session, _ctx(organisation, clock), actor, invitation_id
        )
    except SurveyError:
        await state.clear()
        raise SkipHandler from None
    if isinstance(prompt, CommentPrompt):
        await state.set_state(TicketFeedback.comment)
    text, markup = keyboards.ticket_prompt(prompt, i18n.current_locale)
    await message.answer(_("Please answer with the buttons.") + "\n\n" + text, reply_markup=markup)


async def text_expected(message: Message) -> None:
    await message.answer(_("Please answer in a text message."))


# ------------------------------------------------------------------ the managers' call-back


async def followup_taken(
    callback: CallbackQuery,
    callback_data: SurveyButton,
    session: AsyncSession,
    actor: Actor,
    organisation: Organisation,
    clock: Clock,
    i18n: I18n,
) -> None:
    ctx = _ctx(organisation, clock)
    try:
        taken = await complaints.take_followup(session, ctx, actor, callback_data.target_id)
    except (SurveyError, AccessDenied, StaleAction, IllegalTransition) as error:
        await _refuse(callback, error.reason)
        return
    except AlreadyTaken as error:
        await callback.answer(
            _("{name} is already calling the resident back.").format(name=error.holder_name or "—"),
            show_alert=True,
        )
        return
    await callback.answer(
        _("{number} is yours. Please call {name}: {phone}").format(
            number=taken.number, name=taken.resident_name, phone=taken.phone or "—"
        ),
        show_alert=True,
    )
    message = callback.message
    if isinstance(message, Message) and message.html_text:
        with i18n.use_locale(ctx.group_locale):
            line = _("📞 {name} is calling the resident back ({number}).").format(
                name=taken.taker_name, number=taken.number
            )
        with contextlib.suppress(TelegramBadRequest):
            await message.edit_text(f"{message.html_text}\n\n{line}", reply_markup=None)


def build_router() -> Router:
    router = Router(name="surveys.ticket_feedback")
    private = F.message.chat.type == "private"
    cq = router.callback_query
    cq.register(fixed, ResidentTicketAction.filter(F.action == "fixed"), private)
    cq.register(not_fixed, ResidentTicketAction.filter(F.action == "notfixed"), private)
    cq.register(rated, SurveyButton.filter(F.action == b.RATE), private)
    cq.register(reason_toggled, SurveyButton.filter(F.action == b.REASON), private)
    cq.register(reasons_done, SurveyButton.filter(F.action == b.REASONS_DONE), private)
    cq.register(comment_skipped, SurveyButton.filter(F.action == b.SKIP_COMMENT), private)
    cq.register(followup_taken, SurveyButton.filter(F.action == b.FOLLOW_UP))

    typed = (F.text, not_a_command)
    messages = router.message
    messages.filter(F.chat.type == "private")
    messages.register(reason_given, StateFilter(TicketFeedback.not_fixed_reason), *typed)
    messages.register(comment_written, StateFilter(TicketFeedback.comment), *typed)
    messages.register(buttons_expected, StateFilter(TicketFeedback.buttons), not_a_command)
    messages.register(
        text_expected,
        StateFilter(TicketFeedback.not_fixed_reason, TicketFeedback.comment),
        F.text.is_(None),
    )
    return router
