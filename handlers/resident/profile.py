"""/profile: see and change name, phone, language and units."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.filters import StateFilter
from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import gettext as _

from bot.presentation.buttons.announcements import MuteNotices
from bot.presentation.buttons.residents import ProfileAction, ProfileStep
from bot.presentation.residents import profile as texts
from bot.presentation.residents import registration as registration_texts
from bot.presentation.residents.keyboards import main_menu, share_phone_keyboard
from bot.services.announcements.sending import set_muted
from bot.services.errors import StaleButton
from bot.services.registration import set_full_name, set_own_phone
from bot.services.resident_units import is_bound, unbind, unit_label
from handlers.common.language import ask_language
from handlers.resident import binding
from handlers.resident.common import replace_text
from handlers.resident.registered import Turn
from handlers.resident.registration import not_own_contact, own_contact
from handlers.resident.states import ProfileEdit


def _message(callback: CallbackQuery) -> Message:
    assert isinstance(callback.message, Message)
    return callback.message


async def remove_asked(callback: CallbackQuery, callback_data: ProfileAction, turn: Turn) -> None:
    """➖ Remove: asked first, in place of the profile."""
    unit = await unit_label(turn.session, callback_data.id)
    if unit is None or not await is_bound(turn.session, turn.person.id, unit.unit_id):
        raise StaleButton()
    await callback.answer()
    reply = texts.remove_question(unit.named_for(turn.ctx.org, turn.locale))
    await replace_text(_message(callback), reply.text, reply_markup=reply.markup)


async def unit_removed(callback: CallbackQuery, callback_data: ProfileAction, turn: Turn) -> None:
    if not await unbind(turn.session, turn.person.id, callback_data.id):
        raise StaleButton()
    await callback.answer(_("Removed."))
    await _show_profile(callback, turn)


async def profile_again(callback: CallbackQuery, turn: Turn) -> None:
    await callback.answer()
    await _show_profile(callback, turn)


async def _show_profile(callback: CallbackQuery, turn: Turn) -> None:
    """The profile as it is now, in place of the pressed message."""
    reply = await texts.profile(turn.session, turn.person, turn.ctx.org)
    await replace_text(_message(callback), reply.text, reply_markup=reply.markup)


async def mute_toggled(callback: CallbackQuery, callback_data: MuteNotices, turn: Turn) -> None:
    """Mute or unmute general notices (outage and incident notices always come)."""
    await set_muted(turn.session, turn.ctx, turn.person.id, callback_data.mute)
    await callback.answer(_("Saved."))
    await _show_profile(callback, turn)


async def change_name(callback: CallbackQuery, turn: Turn) -> None:
    await callback.answer()
    await turn.state.set_state(ProfileEdit.name)
    await _message(callback).answer(_("Please type your name."))


async def change_phone(callback: CallbackQuery, turn: Turn) -> None:
    await callback.answer()
    await turn.state.set_state(ProfileEdit.phone)
    await _message(callback).answer(
        _("Please share your new phone number with the button below."),
        reply_markup=share_phone_keyboard(),
    )


async def change_language(callback: CallbackQuery, turn: Turn) -> None:
    await callback.answer()
    await ask_language(_message(callback), turn.state)


async def add_unit(callback: CallbackQuery, turn: Turn) -> None:
    await callback.answer()
    await turn.state.clear()
    await binding.offer_binding(_message(callback))


async def name_changed(message: Message, turn: Turn) -> None:
    assert message.from_user is not None
    await set_full_name(turn.session, message.from_user.id, message.text or "", turn.ctx.now)
    await turn.state.clear()
    await message.answer(_("Saved."), reply_markup=main_menu())
    reply = await texts.profile(turn.session, turn.person, turn.ctx.org)
    await message.answer(reply.text, reply_markup=reply.markup)


async def phone_changed(message: Message, turn: Turn) -> None:
    assert message.contact is not None and message.from_user is not None
    contact = message.contact
    await set_own_phone(
        turn.session, message.from_user.id, contact.user_id, contact.phone_number, turn.ctx.now
    )
    await turn.state.clear()
    await message.answer(_("Saved."), reply_markup=main_menu())


async def name_expected(message: Message) -> None:
    await message.answer(_("Please type your name."))


async def phone_expected(message: Message) -> None:
    reply = registration_texts.own_phone_expected()
    await message.answer(reply.text, reply_markup=reply.markup)


def build_router() -> Router:
    router = Router(name="resident.profile")
    button = router.callback_query.register
    button(remove_asked, ProfileAction.filter(F.what == ProfileStep.REMOVE_UNIT))
    button(unit_removed, ProfileAction.filter(F.what == ProfileStep.REMOVE_CONFIRMED))
    button(profile_again, ProfileAction.filter(F.what == ProfileStep.PROFILE))
    button(change_name, ProfileAction.filter(F.what == ProfileStep.NAME))
    button(change_phone, ProfileAction.filter(F.what == ProfileStep.PHONE))
    button(change_language, ProfileAction.filter(F.what == ProfileStep.LANGUAGE))
    button(add_unit, ProfileAction.filter(F.what == ProfileStep.ADD_UNIT))
    button(mute_toggled, MuteNotices.filter())
    text = F.text & ~F.text.startswith("/")
    router.message.register(name_changed, StateFilter(ProfileEdit.name), text)
    router.message.register(name_expected, StateFilter(ProfileEdit.name))
    phone = StateFilter(ProfileEdit.phone)
    router.message.register(phone_changed, phone, F.contact, own_contact)
    router.message.register(not_own_contact, phone, F.contact)
    router.message.register(phone_expected, phone)
    return router
