"""Survey questions and answers as the resident (or manager) sees them in their own chat:
texts and inline keyboards, rendered in the reader's language (the i18n context)."""

from __future__ import annotations

import html

from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup
from aiogram.utils.i18n import gettext as _
from aiogram.utils.i18n import ngettext
from sqlalchemy.ext.asyncio import AsyncSession

from bot.config.orgfile import Organisation
from bot.i18n import N_, translate
from bot.presentation.buttons.surveys import SurveyAction, SurveyButton
from bot.presentation.message_split import TEXT_LIMIT, units
from bot.presentation.texts import local_time, unit_label
from bot.services.resident_tickets import project_zone
from bot.services.surveys.campaigns import CampaignSummary, QuestionPrompt
from bot.services.surveys.complaints import FollowupTaken, reason_names
from bot.services.surveys.post_ticket import (
    CommentPrompt,
    Finished,
    NotFixedPrompt,
    Prompt,
    RatingPrompt,
    ReasonsPrompt,
)
from storage.models import Ticket

Rendered = tuple[str, InlineKeyboardMarkup | None]
CALLING_BACK = N_("📞 {name} is calling the resident back ({number}).")


def _button(
    text: str, action: SurveyAction, target_id: int, position: int = 0, value: str = ""
) -> InlineKeyboardButton:
    data = SurveyButton(action=action, target_id=target_id, position=position, value=value)
    return InlineKeyboardButton(text=text, callback_data=data.pack())


def stars(score: int) -> str:
    return "⭐" * score


# ------------------------------------------------------------------ after a ticket


def answered(question_html: str, answer: str) -> str | None:
    """A question with the resident's answer under it (its buttons gone), so that it does
    not go on asking; None when that would not fit in one message."""
    text = f"{question_html}\n\n" + _("Your answer: {answer}").format(answer=answer)
    return text if units(text) <= TEXT_LIMIT else None


def fixed_answered(question_html: str, fixed: bool) -> str | None:
    return answered(question_html, _("✅ Fixed") if fixed else _("❌ Not fixed"))


def reasons_answered(
    question_html: str, prompt: CommentPrompt, org: Organisation, locale: str
) -> str | None:
    """The reasons question with the chips ticked under it; None when none was."""
    if not prompt.reasons:
        return None
    return answered(question_html, html.escape(reason_names(org, locale, prompt.reasons)))


def rating(prompt: RatingPrompt) -> Rendered:
    text = _(
        "How satisfied are you with how {number} was handled?\n"
        "1 = very dissatisfied, 5 = very satisfied"
    ).format(number=prompt.ticket_number)
    row = [
        _button(f"{n}⭐", SurveyAction.RATE, prompt.invitation_id, value=str(n))
        for n in range(1, 6)
    ]
    return text, InlineKeyboardMarkup(inline_keyboard=[row])


def reasons(prompt: ReasonsPrompt, locale: str) -> Rendered:
    if prompt.praise:
        text = _("Thank you! What went well? Tick all that apply, then press Done.")
    else:
        text = _("We are sorry. What went wrong? Tick all that apply, then press Done.")
    chips = [
        _button(
            ("✅ " if chip.key in prompt.selected else "") + chip.name.get(locale),
            SurveyAction.REASON,
            prompt.invitation_id,
            value=chip.key,
        )
        for chip in prompt.chips
    ]
    rows = [chips[i : i + 2] for i in range(0, len(chips), 2)]
    done = _("Done") if prompt.selected else _("Skip")
    rows.append([_button(done, SurveyAction.REASONS_DONE, prompt.invitation_id)])
    return text, InlineKeyboardMarkup(inline_keyboard=rows)


def comment(prompt: CommentPrompt) -> Rendered:
    text = _("Would you like to add a comment? Write it below, or press Skip.")
    skip = _button(_("Skip"), SurveyAction.SKIP_COMMENT, prompt.invitation_id)
    return text, InlineKeyboardMarkup(inline_keyboard=[[skip]])


def not_fixed(prompt: NotFixedPrompt) -> Rendered:
    text = _(
        "We are sorry. What is still wrong with {number}? "
        "Please describe it in a message and we will send it back to the staff."
    ).format(number=prompt.ticket_number)
    return text, None


def ticket_prompt(prompt: Prompt, locale: str) -> Rendered:
    if isinstance(prompt, RatingPrompt):
        return rating(prompt)
    if isinstance(prompt, ReasonsPrompt):
        return reasons(prompt, locale)
    if isinstance(prompt, CommentPrompt):
        return comment(prompt)
    return not_fixed(prompt)


def finished(result: Finished) -> str:
    lines = [_("Thank you for your feedback!")]
    if result.closed:
        lines.append(_("Ticket {number} is now closed.").format(number=result.ticket_number))
    if result.low_score:
        lines.append(_("We are sorry it did not go well. The project manager will call you back."))
    return "\n".join(lines)


async def reopened(session: AsyncSession, org: Organisation, ticket: Ticket) -> str:
    """The resident's "not fixed" heard: the ticket is open again, with a new resolution
    deadline (counted from now)."""
    zone = await project_zone(session, org, ticket.project_id)
    return _(
        "Ticket {number} has been re-opened and the staff have been told what is wrong. "
        "We aim to resolve it by {resolve_by}."
    ).format(number=ticket.number, resolve_by=local_time(ticket.resolution_due_at, zone))


def followup_yours(taken: FollowupTaken) -> str:
    """The private alert to the manager who took the call-back (with the phone)."""
    return _("{number} is yours. Please call {name}: {phone}").format(
        number=taken.number, name=taken.resident_name, phone=taken.phone or "—"
    )


def calling_back(locale: str, taken: FollowupTaken) -> str:
    """The line added to the group's alert, in the group's language."""
    return translate(locale, CALLING_BACK, name=taken.taker_name, number=taken.number)


# ------------------------------------------------------------------ the questionnaire


def question(prompt: QuestionPrompt, locale: str) -> Rendered:
    q = prompt.question
    header = _("Question {n} of {total}").format(n=prompt.position + 1, total=prompt.total)
    if q.kind == "rating":
        hint = _("1 = very dissatisfied, 5 = very satisfied")
        scores = [list(range(1, 6))]
    elif q.kind == "nps":
        hint = _("0 = not at all likely, 10 = extremely likely")
        scores = [list(range(0, 6)), list(range(6, 11))]
    else:
        hint = _("Write your answer below, or press Skip.")
        scores = []
    target, position = prompt.invitation_id, prompt.position
    rows = [
        [_button(str(n), SurveyAction.ANSWER, target, position, str(n)) for n in line]
        for line in scores
    ]
    last = [_button(_("⏸ Pause"), SurveyAction.PAUSE, target, position)]
    if q.kind == "text":
        last.insert(0, _button(_("Skip"), SurveyAction.SKIP_QUESTION, target, position))
    rows.append(last)
    text = f"<b>{header}</b>\n\n{html.escape(q.text_in(locale))}\n<i>{hint}</i>"
    return text, InlineKeyboardMarkup(inline_keyboard=rows)


def paused(invitation_id: int) -> Rendered:
    text = _(
        "Paused. Your answers so far are saved; continue any time with /survey or this button."
    )
    resume = _button(_("Continue the survey"), SurveyAction.OPEN, invitation_id)
    return text, InlineKeyboardMarkup(inline_keyboard=[[resume]])


def thanks() -> str:
    return _("Thank you! Your answers have been recorded.")


def usage() -> str:
    return _(
        "Surveys:\n"
        "/survey start [project or region] – send the satisfaction survey to residents\n"
        "/survey stop &lt;campaign&gt; – stop a survey\n"
        "/survey – list recent surveys"
    )


def _unit(summary: CampaignSummary, org: Organisation, locale: str) -> str:
    return html.escape(unit_label(org, locale, summary.unit_key, summary.unit_name))


def summary_line(summary: CampaignSummary, org: Organisation, locale: str) -> str:
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
        unit=_unit(summary, org, locale),
        answered=summary.answered,
        invited=summary.invited,
        completed=summary.completed,
    )


def campaign_list(summaries: list[CampaignSummary], org: Organisation, locale: str) -> str:
    lines = [summary_line(s, org, locale) for s in summaries] or [_("No surveys yet.")]
    return "\n".join([*lines, "", usage()])


def campaign_started(started: CampaignSummary, org: Organisation, locale: str) -> str:
    return ngettext(
        "Survey <b>{key}</b> started for {unit}: {count} resident will receive it "
        "over the next minutes. Stop it with /survey stop {key}",
        "Survey <b>{key}</b> started for {unit}: {count} residents will receive it "
        "over the next minutes. Stop it with /survey stop {key}",
        started.invited,
    ).format(key=started.key, unit=_unit(started, org, locale), count=started.invited)


def campaign_stopped(stopped: CampaignSummary) -> str:
    answered = ngettext(
        "Survey <b>{key}</b> is stopped. {answered} of {invited} resident answered, "
        "{completed} completed.",
        "Survey <b>{key}</b> is stopped. {answered} of {invited} residents answered, "
        "{completed} completed.",
        stopped.invited,
    ).format(
        key=stopped.key,
        answered=stopped.answered,
        invited=stopped.invited,
        completed=stopped.completed,
    )
    withdrawn = ngettext(
        "{withdrawn} invitation not yet delivered was withdrawn.",
        "{withdrawn} invitations not yet delivered were withdrawn.",
        stopped.withdrawn,
    ).format(withdrawn=stopped.withdrawn)
    return f"{answered} {withdrawn}"
