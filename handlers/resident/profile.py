"""/profile: see and change name, phone, language and units."""

from __future__ import annotations

import html

from aiogram import F, Router
from aiogram.filters import StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message
from aiogram.utils.i18n import gettext as _
from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import Clock
from bot.config.orgfile import Organisation
from bot.i18n import LANGUAGE_NAMES, pick_locale
from bot.services.registration import RegistrationError, set_full_name, set_own_phone
from bot.services.resident_units import unbind, units_of
from bot.services.unit_binding import pending_requests
from handlers.common.language import ask_language
from handlers.resident import binding
from handlers.resident.callbacks import ProfileAction
from handlers.resident.common import refusal, replace_text, resident_for
from handlers.resident.keyboards import inline, main_menu, share_phone_keyboard
from handlers.resident.states import ProfileEdit
from storage.models import Person


async def render_profile(
    session: AsyncSession, person: Person, default_locale: str
) -> tuple[str, InlineKeyboardMarkup]:
    units = await units_of(session, person.id)
    waiting = await pending_requests(session, person.id)
    language = LANGUAGE_NAMES[
        pick_locale(person.language, person.telegram_language, default_locale)
    ]
    lines = [
        _("👤 <b>Your profile</b>"),
        _("Name: {name}").format(name=html.escape(person.full_name or "—")),
        _("Phone: {phone}").format(phone=html.escape(person.phone or "—")),
        _("Language: {language}").format(language=language),
        "",
        _("Your units:") if units else _("You have no unit yet."),
    ]
    lines += [f"• {html.escape(u.full)}" for u in units]
    if waiting:
        lines.append(_("Waiting for the office to confirm:"))
        lines += [f"• {html.escape(u.full)}" for u in waiting]
    rows = [
        [
            (_("✏️ Name"), ProfileAction(what="name").pack()),
            (_("📱 Phone"), ProfileAction(what="phone").pack()),
            (_("🌐 Language"), ProfileAction(what="language").pack()),
        ],
        [(_("➕ Add a unit"), ProfileAction(what="add_unit").pack())],
    ]
    rows += [
        [
            (
                _("➖ Remove {unit}").format(unit=u.short),
                ProfileAction(what="remove_unit", id=u.unit_id).pack(),
            )
        ]
        for u in units
    ]
    return "\n".join(lines), inline(rows)


async def send_profile(
    message: Message, session: AsyncSession, person: Person, organisation: Organisation
) -> None:
    text, markup = await render_profile(session, person, organisation.default_language)
    await message.answer(text, reply_markup=markup)


async def profile_action(
    callback: CallbackQuery,
    callback_data: ProfileAction,
    state: FSMContext,
    session: AsyncSession,
    organisation: Organisation,
) -> None:
    person = await resident_for(callback, session, organisation)
    if person is None or not isinstance(callback.message, Message):
        return
    what = callback_data.what
    if what == "remove_unit":
        if not await unbind(session, person.id, callback_data.id):
            await callback.answer(_("This button is no longer valid."), show_alert=True)
            return
        await callback.answer(_("Removed."))
        text, markup = await render_profile(session, person, organisation.default_language)
        await replace_text(callback.message, text, reply_markup=markup)
        return
    await callback.answer()
    if what == "name":
        await state.set_state(ProfileEdit.name)
        await callback.message.answer(_("Please type your name."))
    elif what == "phone":
        await state.set_state(ProfileEdit.phone)
        await callback.message.answer(
            _("Please share your new phone number with the button below."),
            reply_markup=share_phone_keyboard(),
        )
    elif what == "language":
        await ask_language(callback.message, state)
    else:
        await state.clear()
        await binding.offer_binding(callback.message)


async def name_changed(
    message: Message,
    state: FSMContext,
    session: AsyncSession,
    organisation: Organisation,
    clock: Clock,
) -> None:
    assert message.from_user is not None
    try:
        await set_full_name(session, message.from_user.id, message.text or "", clock.now())
    except RegistrationError as error:
        await message.answer(refusal(error))
        return
    await state.clear()
    await message.answer(_("Saved."), reply_markup=main_menu())
    person = await resident_for(message, session, organisation)
    if person is not None:
        await send_profile(message, session, person, organisation)


async def phone_changed(
    message: Message,
    state: FSMContext,
    session: AsyncSession,
    organisation: Organisation,
    clock: Clock,
) -> None:
    assert message.from_user is not None and message.contact is not None
    try:
        await set_own_phone(
            session,
            message.from_user.id,
            message.contact.user_id,
            message.contact.phone_number,
            clock.now(),
        )
    except RegistrationError as error:
        await message.answer(refusal(error), reply_markup=share_phone_keyboard())
        return
    await state.clear()
    await message.answer(_("Saved."), reply_markup=main_menu())


async def name_expected(message: Message) -> None:
    await message.answer(_("Please type your name."))


async def phone_expected(message: Message) -> None:
    await message.answer(
        _("Please use the button below to share your own phone number."),
        reply_markup=share_phone_keyboard(),
    )


def build_router() -> Router:
    router = Router(name="resident.profile")
    router.message.filter(F.chat.type == "private")
    router.callback_query.filter(F.message.chat.type == "private")
    router.callback_query.register(profile_action, ProfileAction.filter())
    text = F.text & ~F.text.startswith("/")
    router.message.register(name_changed, StateFilter(ProfileEdit.name), text)
    router.message.register(name_expected, StateFilter(ProfileEdit.name))
    router.message.register(phone_changed, StateFilter(ProfileEdit.phone), F.contact)
    router.message.register(phone_expected, StateFilter(ProfileEdit.phone))
    return router
