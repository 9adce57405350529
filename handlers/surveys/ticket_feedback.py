"""After a ticket is resolved: "is it fixed?", the rating, reasons and comment, or
why it is not fixed; and the managers' "I will call back" on an unhappy resident.

Refusals (an old button, someone else's survey) propagate as ``SurveyError`` to the
refusal middleware, which answers with an alert.
"""

from __future__ import annotations

import contextlib

from aiogram import F, Router
from aiogram.dispatcher.event.bases import SkipHandler
from aiogram.exceptions import TelegramBadRequest
from aiogram.filters import StateFilter
from aiogram.fsm.state import State
from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import gettext as _

from bot.presentation import surveys as views
from bot.presentation.buttons.surveys import SurveyAction, SurveyButton
from bot.presentation.buttons.tickets import ResidentAction, ResidentTicketAction
from bot.services.surveys import complaints, post_ticket
from bot.services.surveys.errors import SurveyError
from bot.services.surveys.post_ticket import CommentPrompt, NotFixedPrompt, Prompt
from handlers.audiences import any_chat, private_chat, staff_groups
from handlers.desk import KnownDesk, at_desk, known_actor
from handlers.prompts import close_prompt
from handlers.surveys.answering import (
    Respondent,
    as_respondent,
    button_score,
    not_a_command,
    take_buttons_off,
)
from handlers.surveys.states import COMMENT_PROMPT, INVITATION, TicketFeedback


def _state_for(prompt: Prompt) -> State:
    if isinstance(prompt, CommentPrompt):
        return TicketFeedback.comment
    if isinstance(prompt, NotFixedPrompt):
        return TicketFeedback.not_fixed_reason
    return TicketFeedback.buttons


async def _ask_next(
    callback: CallbackQuery, respondent: Respondent, prompt: Prompt, shown: str | None = None
) -> None:
    """The answer is taken: close the pressed message and ask the next question."""
    await callback.answer()
    await take_buttons_off(callback, shown)
    await respondent.state.set_state(_state_for(prompt))
    await respondent.state.update_data({INVITATION: prompt.invitation_id})
    text, markup = views.ticket_prompt(prompt, respondent.locale)
    chat_id = callback.message.chat.id if callback.message else callback.from_user.id
    asked = await respondent.bot.send_message(chat_id, text, reply_markup=markup)
    await _remember_comment_prompt(respondent, prompt, asked)


async def _remember_comment_prompt(respondent: Respondent, prompt: Prompt, asked: Message) -> None:
    if isinstance(prompt, CommentPrompt):
        await respondent.state.update_data({COMMENT_PROMPT: asked.message_id})


# ------------------------------------------------------------------ "is it fixed?"


async def is_it_fixed_answered(
    callback: CallbackQuery, callback_data: ResidentTicketAction, respondent: Respondent
) -> None:
    """ "Fixed" asks for a rating, "not fixed" asks what is still wrong."""
    fixed = callback_data.action == ResidentAction.FIXED
    answer = post_ticket.answer_fixed if fixed else post_ticket.answer_not_fixed
    prompt: Prompt = await answer(
        respondent.session,
        respondent.ctx,
        respondent.actor,
        callback_data.ticket_id,
        callback_data.version,
    )
    shown = None
    if isinstance(callback.message, Message) and callback.message.text:
        shown = views.fixed_answered(callback.message.html_text, fixed)
    await _ask_next(callback, respondent, prompt, shown)


async def reason_given(message: Message, respondent: Respondent) -> None:
    assert message.text is not None
    invitation_id = await respondent.open_invitation()
    await respondent.state.clear()  # answered or refused, this question is over
    ticket = await post_ticket.give_not_fixed_reason(
        respondent.session, respondent.ctx, respondent.actor, invitation_id, message.text
    )
    await message.answer(await views.reopened(respondent.session, respondent.ctx.org, ticket))


# ------------------------------------------------------------------ rating, reasons, comment


async def rated(
    callback: CallbackQuery, callback_data: SurveyButton, respondent: Respondent
) -> None:
    score = button_score(callback_data.value)
    prompt = await post_ticket.rate(
        respondent.session, respondent.ctx, respondent.actor, callback_data.target_id, score
    )
    stars = views.stars(score)
    shown = None  # the question stays, with the stars given under it
    if isinstance(callback.message, Message) and callback.message.text:
        shown = views.answered(callback.message.html_text, stars)
    await _ask_next(
        callback, respondent, prompt, shown or _("Your rating: {stars}").format(stars=stars)
    )


async def reason_toggled(
    callback: CallbackQuery, callback_data: SurveyButton, respondent: Respondent
) -> None:
    prompt = await post_ticket.toggle_reason(
        respondent.session,
        respondent.ctx,
        respondent.actor,
        callback_data.target_id,
        callback_data.value,
    )
    await callback.answer()
    if isinstance(callback.message, Message):
        _text, markup = views.reasons(prompt, respondent.locale)
        with contextlib.suppress(TelegramBadRequest):
            await callback.message.edit_reply_markup(reply_markup=markup)


async def reasons_done(
    callback: CallbackQuery, callback_data: SurveyButton, respondent: Respondent
) -> None:
    prompt = await post_ticket.reasons_done(
        respondent.session, respondent.ctx, respondent.actor, callback_data.target_id
    )
    shown = None
    if isinstance(callback.message, Message) and callback.message.text:
        shown = views.reasons_answered(
            callback.message.html_text, prompt, respondent.ctx.org, respondent.locale
        )
    await _ask_next(callback, respondent, prompt, shown)


async def comment_skipped(
    callback: CallbackQuery, callback_data: SurveyButton, respondent: Respondent
) -> None:
    result = await post_ticket.finish(
        respondent.session, respondent.ctx, respondent.actor, callback_data.target_id, None
    )
    await callback.answer()
    await take_buttons_off(callback)
    await respondent.state.clear()
    chat_id = callback.message.chat.id if callback.message else callback.from_user.id
    await respondent.bot.send_message(chat_id, views.finished(result))


async def comment_written(message: Message, respondent: Respondent) -> None:
    invitation_id = await respondent.open_invitation()
    asked = (await respondent.state.get_data()).get(COMMENT_PROMPT)
    await respondent.state.clear()
    try:
        result = await post_ticket.finish(
            respondent.session, respondent.ctx, respondent.actor, invitation_id, message.text
        )
    except SurveyError:
        raise SkipHandler from None  # that survey is over: let the message be read as usual
    await close_prompt(respondent.bot, message.chat.id, asked)  # the comment is given
    await message.answer(views.finished(result))


async def buttons_expected(message: Message, respondent: Respondent) -> None:
    """Text (or anything) while a rating or reasons are open: ask again."""
    try:
        prompt = await post_ticket.current_prompt(
            respondent.session,
            respondent.ctx,
            respondent.actor,
            await respondent.open_invitation(),
        )
    except SurveyError:
        await respondent.state.clear()
        raise SkipHandler from None
    if isinstance(prompt, CommentPrompt):
        await respondent.state.set_state(TicketFeedback.comment)
    text, markup = views.ticket_prompt(prompt, respondent.locale)
    asked = await message.answer(
        _("Please answer with the buttons.") + "\n\n" + text, reply_markup=markup
    )
    await _remember_comment_prompt(respondent, prompt, asked)


async def text_expected(message: Message) -> None:
    await message.answer(_("Please answer in a text message."))


# ------------------------------------------------------------------ the managers' call-back


async def followup_taken(
    callback: CallbackQuery, callback_data: SurveyButton, desk: KnownDesk
) -> None:
    taken = await complaints.take_followup(
        desk.session, desk.ctx, desk.actor, callback_data.target_id
    )
    await callback.answer(views.followup_yours(taken), show_alert=True)
    message = callback.message
    if isinstance(message, Message) and message.html_text:
        line = views.calling_back(desk.locale, taken)  # the group's language
        with contextlib.suppress(TelegramBadRequest):
            await message.edit_text(f"{message.html_text}\n\n{line}", reply_markup=None)


def build_router() -> Router:
    """The resident's answers (private chat) and the managers' call-back (in their group)."""
    router = any_chat("surveys.ticket_feedback")
    answers = private_chat("surveys.ticket_feedback.answers")
    answers.callback_query.filter(at_desk, as_respondent)
    answers.message.filter(at_desk, as_respondent)
    press, action = answers.callback_query.register, SurveyButton.filter
    is_it_fixed = {ResidentAction.FIXED, ResidentAction.NOT_FIXED}
    press(is_it_fixed_answered, ResidentTicketAction.filter(F.action.in_(is_it_fixed)))
    press(rated, action(F.action == SurveyAction.RATE))
    press(reason_toggled, action(F.action == SurveyAction.REASON))
    press(reasons_done, action(F.action == SurveyAction.REASONS_DONE))
    press(comment_skipped, action(F.action == SurveyAction.SKIP_COMMENT))

    typed = (F.text, not_a_command)
    say = answers.message.register
    say(reason_given, StateFilter(TicketFeedback.not_fixed_reason), *typed)
    say(comment_written, StateFilter(TicketFeedback.comment), *typed)
    say(buttons_expected, StateFilter(TicketFeedback.buttons), not_a_command)
    say(
        text_expected,
        StateFilter(TicketFeedback.not_fixed_reason, TicketFeedback.comment),
        F.text.is_(None),
    )

    call_backs = staff_groups("surveys.ticket_feedback.followup")
    call_backs.callback_query.filter(at_desk, known_actor)
    call_backs.callback_query.register(
        followup_taken, SurveyButton.filter(F.action == SurveyAction.FOLLOW_UP)
    )
    router.include_routers(answers, call_backs)
    return router
