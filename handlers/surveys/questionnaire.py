"""The periodic questionnaire: residents answer it, managers start and stop it.

``/survey`` resumes a resident's open survey; for managers it lists campaigns,
``/survey start [project|region]`` and ``/survey stop <campaign>`` run them
(in a staff group, ``start`` without a key means the group's own unit).
Refusals propagate to the refusal middleware.
"""

from __future__ import annotations

from aiogram import F, Router
from aiogram.dispatcher.event.bases import SkipHandler
from aiogram.filters import Command, CommandObject, StateFilter
from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import gettext as _

from bot.presentation import surveys as views
from bot.presentation.buttons.surveys import SurveyAction, SurveyButton
from bot.services.surveys import campaigns
from bot.services.surveys.campaigns import CampaignFinished, QuestionPrompt
from bot.services.surveys.errors import NoOpenSurvey, SurveyError
from handlers.audiences import any_chat, private_chat
from handlers.desk import at_desk
from handlers.prompts import close_prompt
from handlers.surveys.answering import (
    Respondent,
    as_respondent,
    button_score,
    not_a_command,
    take_buttons_off,
)
from handlers.surveys.states import INVITATION, QUESTION_PROMPT, Questionnaire


async def _ask_or_thank(
    respondent: Respondent, chat_id: int, result: QuestionPrompt | CampaignFinished
) -> None:
    if isinstance(result, CampaignFinished):
        await respondent.state.clear()
        await respondent.bot.send_message(chat_id, views.thanks())
        return
    await respondent.state.set_state(Questionnaire.question)
    text, markup = views.question(result, respondent.locale)
    asked = await respondent.bot.send_message(chat_id, text, reply_markup=markup)
    await respondent.state.update_data(
        {INVITATION: result.invitation_id, QUESTION_PROMPT: asked.message_id}
    )


# ------------------------------------------------------------------ /survey


async def survey_command(message: Message, command: CommandObject, respondent: Respondent) -> None:
    session, ctx, actor = respondent.session, respondent.ctx, respondent.actor
    words = (command.args or "").split()
    verb = words[0].lower() if words else ""
    if verb == "start":
        unit_key = words[1] if len(words) > 1 else None
        started = await campaigns.start_campaign(
            session, ctx, actor, unit_key=unit_key, chat_id=message.chat.id
        )
        await message.answer(views.campaign_started(started, ctx.org, respondent.locale))
    elif verb == "stop" and len(words) > 1:
        stopped = await campaigns.stop_campaign(session, ctx, actor, words[1])
        await message.answer(views.campaign_stopped(stopped))
    elif verb:
        await message.answer(views.usage())
    else:
        await _resume_or_list(message, respondent)


async def _resume_or_list(message: Message, respondent: Respondent) -> None:
    """A resident's open survey (in private), else a manager's list of campaigns."""
    actor = respondent.actor
    if message.chat.type == "private":
        try:
            prompt = await campaigns.open_survey(respondent.session, respondent.ctx, actor)
        except NoOpenSurvey:
            if not actor.is_manager:
                raise
        else:
            await _ask_or_thank(respondent, message.chat.id, prompt)
            return
    if not actor.is_manager:
        await message.answer(views.usage())
        return
    listed = await campaigns.list_campaigns(respondent.session, actor)
    await message.answer(views.campaign_list(listed, respondent.ctx.org, respondent.locale))


# ------------------------------------------------------------------ answering


async def opened(
    callback: CallbackQuery, callback_data: SurveyButton, respondent: Respondent
) -> None:
    prompt = await campaigns.open_survey(
        respondent.session, respondent.ctx, respondent.actor, callback_data.target_id
    )
    await callback.answer()
    await _ask_or_thank(respondent, callback.from_user.id, prompt)


async def answered(
    callback: CallbackQuery, callback_data: SurveyButton, respondent: Respondent
) -> None:
    """A score or "skip": the pressed question keeps its text, loses its buttons and
    shows the answer; then the next question (or the thanks)."""
    session, ctx, actor = respondent.session, respondent.ctx, respondent.actor
    target, position = callback_data.target_id, callback_data.position
    if callback_data.action == SurveyAction.SKIP_QUESTION:
        shown = _("skipped")
        result = await campaigns.skip(session, ctx, actor, target, position)
    else:
        shown = callback_data.value
        score = button_score(callback_data.value)
        result = await campaigns.answer(session, ctx, actor, target, position, score=score)
    await callback.answer()
    message = callback.message
    if isinstance(message, Message) and message.html_text:
        await take_buttons_off(callback, f"{message.html_text}\n\n→ <b>{shown}</b>")
    await _ask_or_thank(respondent, callback.from_user.id, result)


async def paused(
    callback: CallbackQuery, callback_data: SurveyButton, respondent: Respondent
) -> None:
    invitation_id = await campaigns.pause(
        respondent.session, respondent.ctx, respondent.actor, callback_data.target_id
    )
    await callback.answer()
    await take_buttons_off(callback)
    await respondent.state.clear()
    text, markup = views.paused(invitation_id)
    await respondent.bot.send_message(callback.from_user.id, text, reply_markup=markup)


async def typed_answer(message: Message, respondent: Respondent) -> None:
    """A free-text answer, or text where buttons were expected (then: ask again)."""
    session, ctx, actor = respondent.session, respondent.ctx, respondent.actor
    invitation_id = await respondent.open_invitation()
    try:
        prompt = await campaigns.open_survey(session, ctx, actor, invitation_id)
    except SurveyError:
        await respondent.state.clear()
        raise SkipHandler from None
    if prompt.question.kind != "text" or not message.text:
        text, markup = views.question(prompt, respondent.locale)
        if prompt.question.kind == "text":  # a photo, a sticker… for a written answer
            nudge = _("Please write your answer in words, or press Skip.")
        else:
            nudge = _("Please answer with the buttons below the question.")
        await _question_closed(respondent, message.chat.id)  # asked again below
        asked = await message.answer(nudge + "\n\n" + text, reply_markup=markup)
        await respondent.state.update_data({QUESTION_PROMPT: asked.message_id})
        return
    result = await campaigns.answer(
        session, ctx, actor, invitation_id, prompt.position, text=message.text
    )
    await _question_closed(respondent, message.chat.id)  # the answer is under it
    await _ask_or_thank(respondent, message.chat.id, result)


async def _question_closed(respondent: Respondent, chat_id: int) -> None:
    """The open question's message loses its buttons (Skip, Pause)."""
    question = (await respondent.state.get_data()).get(QUESTION_PROMPT)
    await close_prompt(respondent.bot, chat_id, question)


def build_router() -> Router:
    """``/survey`` in any chat; answering only in the resident's private chat."""
    router = any_chat("surveys.questionnaire")
    router.message.filter(at_desk, as_respondent)
    router.callback_query.filter(at_desk, as_respondent)
    router.message.register(survey_command, Command("survey"))
    answers = private_chat("surveys.questionnaire.answers")
    press, action = answers.callback_query.register, SurveyButton.filter
    press(opened, action(F.action == SurveyAction.OPEN))
    press(answered, action(F.action.in_({SurveyAction.ANSWER, SurveyAction.SKIP_QUESTION})))
    press(paused, action(F.action == SurveyAction.PAUSE))
    answers.message.register(typed_answer, StateFilter(Questionnaire.question), not_a_command)
    router.include_router(answers)
    return router
