"""Survey questions as the resident sees them: texts and inline keyboards."""

from __future__ import annotations

import html

from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup
from aiogram.utils.i18n import gettext as _

from bot.services.surveys import buttons as b
from bot.services.surveys.campaigns import QuestionPrompt
from bot.services.surveys.post_ticket import (
    CommentPrompt,
    NotFixedPrompt,
    Prompt,
    RatingPrompt,
    ReasonsPrompt,
)
from handlers.surveys.callbacks import SurveyButton

Rendered = tuple[str, InlineKeyboardMarkup | None]


def _button(text: str, action: str, target_id: int, position: int = 0, value: str = ""):
    data = SurveyButton(action=action, target_id=target_id, position=position, value=value)
    return InlineKeyboardButton(text=text, callback_data=data.pack())


def stars(score: int) -> str:
    return "⭐" * score


# ------------------------------------------------------------------ after a ticket


def rating(prompt: RatingPrompt) -> Rendered:
    text = _(
        "How satisfied are you with how {number} was handled?\n"
        "1 = very dissatisfied, 5 = very satisfied"
    ).format(number=prompt.ticket_number)
    row = [_button(f"{n}⭐", b.RATE, prompt.invitation_id, value=str(n)) for n in range(1, 6)]
    return text, InlineKeyboardMarkup(inline_keyboard=[row])


def reasons(prompt: ReasonsPrompt, locale: str) -> Rendered:
    if prompt.praise:
        text = _("Thank you! What went well? Tick all that apply, then press Done.")
    else:
        text = _("We are sorry. What went wrong? Tick all that apply, then press Done.")
    chips = [
        _button(
            ("✅ " if chip.key in prompt.selected else "") + chip.name.get(locale),
            b.REASON,
            prompt.invitation_id,
            value=chip.key,
        )
        for chip in prompt.chips
    ]
    rows = [chips[i : i + 2] for i in range(0, len(chips), 2)]
    done = _("Done") if prompt.selected else _("Skip")
    rows.append([_button(done, b.REASONS_DONE, prompt.invitation_id)])
    return text, InlineKeyboardMarkup(inline_keyboard=rows)


def comment(prompt: CommentPrompt) -> Rendered:
    text = _("Would you like to add a comment? Write it below, or press Skip.")
    skip = _button(_("Skip"), b.SKIP_COMMENT, prompt.invitation_id)
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
    rows = [
        [_button(str(n), b.ANSWER, prompt.invitation_id, prompt.position, str(n)) for n in line]
        for line in scores
    ]
    last = [_button(_("⏸ Pause"), b.PAUSE, prompt.invitation_id, prompt.position)]
    if q.kind == "text":
        last.insert(0, _button(_("Skip"), b.SKIP_QUESTION, prompt.invitation_id, prompt.position))
    rows.append(last)
    text = f"<b>{header}</b>\n\n{html.escape(q.text_in(locale))}\n<i>{hint}</i>"
    return text, InlineKeyboardMarkup(inline_keyboard=rows)


def resume(invitation_id: int) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[[_button(_("Continue the survey"), b.OPEN, invitation_id)]]
    )
