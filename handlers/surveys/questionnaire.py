"""The periodic questionnaire: residents answer it, managers start and stop it.

``/survey`` resumes a resident's open survey; for managers it lists campaigns,
``/survey start [project|region]`` and ``/survey stop <campaign>`` run them
(in a staff group, ``start`` without a key means the group's own unit).
"""

from __future__ import annotations

import contextlib
import html

from aiogram import Bot, F, Router
from aiogram.dispatcher.event.bases import SkipHandler
from aiogram.exceptions import TelegramBadRequest
from aiogram.filters import Command, CommandObject, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import I18n
from aiogram.utils.i18n import gettext as _
from sqlalchemy.ext.asyncio import AsyncSession

from bot.app.context import Context
from bot.clock import Clock
from bot.config.orgfile import Organisation
from bot.services.access import AccessDenied
from bot.services.people import Actor
from bot.services.surveys import buttons as b
from bot.services.surveys import campaigns
from bot.services.surveys.campaigns import CampaignSummary, QuestionPrompt
from bot.services.surveys.errors import NoOpenSurvey, SurveyError
from handlers.surveys import keyboards
from handlers.surveys.callbacks import SurveyButton
from handlers.surveys.states import INVITATION, Questionnaire
from handlers.surveys.ticket_feedback import not_a_command


def _ctx(organisation: Organisation, clock: Clock) -> Context:
    return Context(org=organisation, now=clock.now())


def _usage() -> str:
    return _(
        "Surveys:\n"
        "/survey start [project or region] – send the satisfaction survey to residents\n"
        "/survey stop &lt;campaign&gt; – stop a survey\n"
        "/survey – list recent surveys"
    )


def _summary_line(summary: CampaignSummary) -> str:
    if summary.stopped:
        line = _(
            "<b>{key}</b> · {unit} · stopped: "
            "{answered} of {invited} answered, {completed} completed"
        )
    else:
        line = _(
            "<b>{key}</b> · {unit} · open: {answered} of {invited} answered, {completed} completed"
        )
    return line.format(
        key=summary.key,
        unit=html.escape(summary.unit_name),
        answered=summary.answered,
        invited=summary.invited,
        completed=summary.completed,
    )


async def _ask(
    bot: Bot, chat_id: int, prompt: QuestionPrompt, state: FSMContext, locale: str
) -> None:
    await state.set_state(Questionnaire.question)
    await state.update_data({INVITATION: prompt.invitation_id})
    text, markup = keyboards.question(prompt, locale)
    await bot.send_message(chat_id, text, reply_markup=markup)


async def _thank(bot: Bot, chat_id: int, state: FSMContext) -> None:
    await state.clear()
    await bot.send_message(chat_id, _("Thank you! Your answers have been recorded."))


# ------------------------------------------------------------------ /survey


async def survey_command(
    message: Message,
    command: CommandObject,
    bot: Bot,
    session: AsyncSession,
    actor: Actor,
    organisation: Organisation,
    clock: Clock,
    state: FSMContext,
    i18n: I18n,
) -> None:
    ctx = _ctx(organisation, clock)
    words = (command.args or "").split()
    verb = words[0].lower() if words else ""
    try:
        if verb == "start":
            started = await campaigns.start_campaign(
                session,
                ctx,
                actor,
                unit_key=words[1] if len(words) > 1 else None,
                chat_id=message.chat.id,
            )
            await message.answer(
                _(
                    "Survey <b>{key}</b> started for {unit}: {count} residents will receive it "
                    "over the next minutes. Stop it with /survey stop {key}"
                ).format(
                    key=started.key, unit=html.escape(started.unit_name), count=started.invited
                )
            )
        elif verb == "stop" and len(words) > 1:
            stopped = await campaigns.stop_campaign(session, ctx, actor, words[1])
            await message.answer(
                _(
                    "Survey <b>{key}</b> is stopped. {answered} of {invited} residents answered, "
                    "{completed} completed; {withdrawn} invitations not yet delivered were "
                    "withdrawn."
                ).format(
                    key=stopped.key,
                    answered=stopped.answered,
                    invited=stopped.invited,
                    completed=stopped.completed,
                    withdrawn=stopped.withdrawn,
                )
            )
        elif verb:
            await message.answer(_usage())
        else:
            await _resume_or_list(message, bot, session, ctx, actor, state, i18n)
    except (SurveyError, AccessDenied) as error:
        await message.answer(_(error.reason))


async def _resume_or_list(
    message: Message,
    bot: Bot,
    session: AsyncSession,
    ctx: Context,
    actor: Actor,
    state: FSMContext,
    i18n: I18n,
) -> None:
    if message.chat.type == "private":
        try:
            prompt = await campaigns.open_survey(session, ctx, actor)
        except NoOpenSurvey:
            if not actor.is_manager:
                raise
        else:
            await _ask(bot, message.chat.id, prompt, state, i18n.current_locale)
            return
    if not actor.is_manager:
        await message.answer(_usage())
        return
    summaries = await campaigns.list_campaigns(session, actor)
    lines = [_summary_line(s) for s in summaries] or [_("No surveys yet.")]
    await message.answer("\n".join([*lines, "", _usage()]))


# ------------------------------------------------------------------ answering


async def opened(
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
        prompt = await campaigns.open_survey(
            session, _ctx(organisation, clock), actor, callback_data.target_id
        )
    except SurveyError as error:
        await callback.answer(_(error.reason), show_alert=True)
        return
    await callback.answer()
    await _ask(bot, callback.from_user.id, prompt, state, i18n.current_locale)


async def answered(
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
    ctx = _ctx(organisation, clock)
    try:
        if callback_data.action == b.SKIP_QUESTION:
            shown = _("skipped")
            result = await campaigns.skip(
                session, ctx, actor, callback_data.target_id, callback_data.position
            )
        else:
            shown = callback_data.value
            result = await campaigns.answer(
                session,
                ctx,
                actor,
                callback_data.target_id,
                callback_data.position,
                score=int(callback_data.value),
            )
    except (SurveyError, ValueError) as error:
        await callback.answer(_(getattr(error, "reason", SurveyError.reason)), show_alert=True)
        return
    await callback.answer()
    message = callback.message
    if isinstance(message, Message) and message.html_text:
        with contextlib.suppress(TelegramBadRequest):
            await message.edit_text(f"{message.html_text}\n\n→ <b>{shown}</b>", reply_markup=None)
    if isinstance(result, QuestionPrompt):
        await _ask(bot, callback.from_user.id, result, state, i18n.current_locale)
    else:
        await _thank(bot, callback.from_user.id, state)


async def paused(
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
        invitation_id = await campaigns.pause(
            session, _ctx(organisation, clock), actor, callback_data.target_id
        )
    except SurveyError as error:
        await callback.answer(_(error.reason), show_alert=True)
        return
    await callback.answer()
    if isinstance(callback.message, Message):
        with contextlib.suppress(TelegramBadRequest):
            await callback.message.edit_reply_markup(reply_markup=None)
    await state.clear()
    await bot.send_message(
        callback.from_user.id,
        _("Paused. Your answers so far are saved; continue any time with /survey or this button."),
        reply_markup=keyboards.resume(invitation_id),
    )


async def typed_answer(
    message: Message,
    bot: Bot,
    session: AsyncSession,
    actor: Actor,
    organisation: Organisation,
    clock: Clock,
    state: FSMContext,
    i18n: I18n,
) -> None:
    """A free-text answer, or text where buttons were expected (then: ask again)."""
    ctx = _ctx(organisation, clock)
    invitation_id = (await state.get_data()).get(INVITATION, 0)
    try:
        prompt = await campaigns.open_survey(session, ctx, actor, invitation_id)
    except SurveyError:
        await state.clear()
        raise SkipHandler from None
    if prompt.question.kind != "text" or not message.text:
        text, markup = keyboards.question(prompt, i18n.current_locale)
        await message.answer(
            _("Please answer with the buttons below the question.") + "\n\n" + text,
            reply_markup=markup,
        )
        return
    result = await campaigns.answer(
        session, ctx, actor, invitation_id, prompt.position, text=message.text
    )
    if isinstance(result, QuestionPrompt):
        await _ask(bot, message.chat.id, result, state, i18n.current_locale)
    else:
        await _thank(bot, message.chat.id, state)


def build_router() -> Router:
    router = Router(name="surveys.questionnaire")
    router.message.register(survey_command, Command("survey"))
    private = F.message.chat.type == "private"
    cq = router.callback_query
    cq.register(opened, SurveyButton.filter(F.action == b.OPEN), private)
    cq.register(answered, SurveyButton.filter(F.action.in_({b.ANSWER, b.SKIP_QUESTION})), private)
    cq.register(paused, SurveyButton.filter(F.action == b.PAUSE), private)
    router.message.register(
        typed_answer, StateFilter(Questionnaire.question), F.chat.type == "private", not_a_command
    )
    return router
