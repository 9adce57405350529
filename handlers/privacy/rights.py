"""/privacy, /mydata and /forgetme in the resident's private chat."""

from __future__ import annotations

import json

from aiogram import F, Router
from aiogram.filters import Command
from aiogram.fsm.context import FSMContext
from aiogram.types import (
    BufferedInputFile,
    CallbackQuery,
    InlineKeyboardMarkup,
    Message,
    ReplyKeyboardRemove,
)
from aiogram.utils.i18n import I18n, ngettext
from aiogram.utils.i18n import gettext as _
from sqlalchemy.ext.asyncio import AsyncSession

from bot.i18n import N_
from bot.presentation.buttons.privacy import PrivacyAction, PrivacyStep
from bot.presentation.residents.keyboards import inline
from bot.presentation.residents.registration import privacy_notice
from bot.services import audit
from bot.services.context import Context
from bot.services.people import Actor, person_by_telegram_id
from bot.services.privacy.erasure import erase_person
from bot.services.privacy.export import personal_data, summary_lines
from handlers.audiences import private_chat


def _keyboard(*rows: list[tuple[str, PrivacyStep]]) -> InlineKeyboardMarkup:
    """Rows of (label, step) buttons."""
    return inline(
        [[(text, PrivacyAction(action=step).pack()) for text, step in row] for row in rows]
    )


def _rights_keyboard() -> InlineKeyboardMarkup:
    return _keyboard(
        [(_("📦 Get a copy of my data"), PrivacyStep.MY_DATA)],
        [(_("🗑 Withdraw consent and erase my data"), PrivacyStep.ERASE)],
    )


def _counted(counts: dict[str, int], *, with_history: bool) -> dict[str, str]:
    """Units, tickets and survey answers held, each in its plural form."""
    units, tickets, answers = counts["units"], counts["tickets"], counts["answers"]
    return {
        "units": ngettext("{count} unit", "{count} units", units).format(count=units),
        "tickets": (
            ngettext(
                "{count} ticket with its history", "{count} tickets with their history", tickets
            )
            if with_history
            else ngettext("{count} ticket", "{count} tickets", tickets)
        ).format(count=tickets),
        "answers": ngettext("{count} survey answer", "{count} survey answers", answers).format(
            count=answers
        ),
    }


async def show_privacy(
    message: Message, session: AsyncSession, ctx: Context, actor: Actor, i18n: I18n
) -> None:
    person = await person_by_telegram_id(session, actor.telegram_id)
    held = _("We hold no personal data about you.")
    if person is not None and person.erased_at is None:
        counts = summary_lines(await personal_data(session, person))
        held = _(
            "What we hold about you: your name and phone number (encrypted), your language, "
            "{units}, {tickets}, {answers}."
        ).format(**_counted(counts, with_history=False))
        if person.consented_at:
            held += "\n" + _("You agreed to notice version {version} on {date}.").format(
                version=person.consent_version, date=person.consented_at.date().isoformat()
            )
    text = f"{privacy_notice(ctx.org, i18n.current_locale)}\n\n{held}"
    await message.answer(text, reply_markup=_rights_keyboard() if person else None)


async def _send_copy(target: Message, session: AsyncSession, ctx: Context, actor: Actor) -> None:
    person = await person_by_telegram_id(session, actor.telegram_id)
    if person is None:
        await target.answer(_("We hold no personal data about you."))
        return
    document = await personal_data(session, person)
    counts = summary_lines(document)
    payload = json.dumps(document, ensure_ascii=False, indent=2).encode("utf-8")
    await audit.record(session, ctx.now, actor, "personal_data.export", subject_person_id=person.id)
    await target.answer_document(
        BufferedInputFile(payload, filename="my-data.json"),
        caption=_(
            "Everything we hold about you: profile, {units}, consents, {tickets} and {answers}."
        ).format(**_counted(counts, with_history=True)),
    )


async def send_my_data(message: Message, session: AsyncSession, ctx: Context, actor: Actor) -> None:
    await _send_copy(message, session, ctx, actor)


async def my_data_button(
    callback: CallbackQuery, session: AsyncSession, ctx: Context, actor: Actor
) -> None:
    await callback.answer()
    if isinstance(callback.message, Message):
        await _send_copy(callback.message, session, ctx, actor)


def _confirm_keyboard() -> InlineKeyboardMarkup:
    return _keyboard(
        [
            (_("Yes, erase everything"), PrivacyStep.ERASE_YES),
            (_("No, keep my data"), PrivacyStep.ERASE_NO),
        ]
    )


ERASE_QUESTION = N_(
    "Erase your personal data? Your name, phone number, units, what you wrote and the photos "
    "you sent will be removed and you will leave the service. Your tickets stay as anonymous "
    "records. This cannot be undone."
)


async def ask_to_forget(message: Message) -> None:
    await message.answer(_(ERASE_QUESTION), reply_markup=_confirm_keyboard())


async def erase_button(callback: CallbackQuery) -> None:
    await callback.answer()
    if isinstance(callback.message, Message):
        await callback.message.answer(_(ERASE_QUESTION), reply_markup=_confirm_keyboard())


async def confirm_erase(
    callback: CallbackQuery,
    session: AsyncSession,
    ctx: Context,
    actor: Actor,
    state: FSMContext,
) -> None:
    person = await person_by_telegram_id(session, actor.telegram_id)
    if person is None or person.erased_at is not None:
        await callback.answer(_("We hold no personal data about you."), show_alert=True)
        return
    await session.refresh(person, ["roles"])
    await erase_person(session, ctx, person, reason="resident request", actor=actor)
    await state.clear()
    await callback.answer()
    if isinstance(callback.message, Message):
        await callback.message.edit_reply_markup(reply_markup=None)
        await callback.message.answer(
            _(
                "Your personal data has been erased. Goodbye — send /start if you ever want to "
                "use the service again."
            ),
            reply_markup=ReplyKeyboardRemove(),
        )


async def cancel_erase(callback: CallbackQuery) -> None:
    await callback.answer(_("Nothing was erased."))
    if isinstance(callback.message, Message):
        await callback.message.edit_reply_markup(reply_markup=None)


def build_router() -> Router:
    router = private_chat("privacy.rights")
    router.message.register(show_privacy, Command("privacy"))
    router.message.register(send_my_data, Command("mydata"))
    router.message.register(ask_to_forget, Command("forgetme"))
    router.callback_query.register(
        my_data_button, PrivacyAction.filter(F.action == PrivacyStep.MY_DATA)
    )
    router.callback_query.register(
        erase_button, PrivacyAction.filter(F.action == PrivacyStep.ERASE)
    )
    router.callback_query.register(
        confirm_erase, PrivacyAction.filter(F.action == PrivacyStep.ERASE_YES)
    )
    router.callback_query.register(
        cancel_erase, PrivacyAction.filter(F.action == PrivacyStep.ERASE_NO)
    )
    return router
