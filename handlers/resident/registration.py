"""/start: greeting, privacy notice and consent, name, own phone number, then a unit."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.filters import CommandObject, CommandStart, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import I18n
from aiogram.utils.i18n import gettext as _
from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import Clock
from bot.presentation.buttons.residents import ConsentChoice, ResidentSignUp
from bot.presentation.commands import audience_of
from bot.presentation.help import private_help
from bot.presentation.residents import registration as texts
from bot.presentation.residents.keyboards import Reply, main_menu, share_phone_keyboard
from bot.presentation.texts import unit_label
from bot.services import unit_codes
from bot.services.context import Context
from bot.services.intake.emergency import hotline_for_resident
from bot.services.people import Actor, person_by_telegram_id
from bot.services.registration import (
    RegistrationStep,
    record_consent,
    registration_step,
    set_full_name,
    set_own_phone,
    step_of,
)
from handlers.resident import binding
from handlers.resident.common import answered_with_button, clear_buttons
from handlers.resident.states import Registration


def own_contact(message: Message) -> bool:
    """A shared contact that is the sender's own (anyone else's is answered apart)."""
    return (
        message.contact is not None
        and message.from_user is not None
        and message.contact.user_id == message.from_user.id
    )


async def _say(message: Message, reply: Reply) -> None:
    await message.answer(reply.text, reply_markup=reply.markup)


async def _ask_next(
    message: Message, state: FSMContext, step: RegistrationStep, suggested_name: str | None
) -> None:
    """Ask for the name or the phone number, whichever is missing."""
    if step is RegistrationStep.NAME:
        await state.set_state(Registration.name)
        await _say(message, texts.name_question(suggested_name))
    else:
        await state.set_state(Registration.phone)
        await _say(message, texts.phone_question())


async def start(
    message: Message,
    command: CommandObject,
    state: FSMContext,
    session: AsyncSession,
    ctx: Context,
    clock: Clock,
    i18n: I18n,
    actor: Actor,
) -> None:
    assert message.from_user is not None
    code = command.args if command.args and unit_codes.looks_like_code(command.args) else None
    notice_version = ctx.org.residents.privacy_notice_version
    step = await registration_step(session, message.from_user.id, notice_version)
    if step is RegistrationStep.DONE:
        await state.clear()
        if code is not None:
            await binding.redeem_code(message, session, ctx.org, clock, code)
            return
        await message.answer(texts.welcome_back(), reply_markup=main_menu())
        return
    if actor.is_staff and code is None:
        # Staff work with the bot as they are: registering is for their own home, if ever.
        await state.clear()
        await _say(message, await _staff_welcome(actor, session, ctx, i18n.current_locale))
        return
    data = await state.get_data()
    await _begin(message, state, ctx, i18n, step, code or data.get("pending_code"))


async def _begin(
    message: Message,
    state: FSMContext,
    ctx: Context,
    i18n: I18n,
    step: RegistrationStep,
    pending_code: str | None,
) -> None:
    """Registration from its first missing step: consent, name or phone number."""
    await state.set_data({"pending_code": pending_code})
    if step is RegistrationStep.CONSENT:
        await state.set_state(Registration.consent)
        await _say(message, texts.consent_question(ctx.org, i18n.current_locale))
    else:
        assert message.chat is not None
        await _ask_next(message, state, step, message.chat.full_name)


async def _staff_welcome(actor: Actor, session: AsyncSession, ctx: Context, locale: str) -> Reply:
    person = await person_by_telegram_id(session, actor.telegram_id)
    name = (person.full_name if person else None) or "—"
    places = [unit_label(ctx.org, locale, g.org_unit_key, g.org_unit_key) for g in actor.roles]
    audience = audience_of(actor.is_staff, actor.is_manager, actor.is_admin)
    hotline = await hotline_for_resident(session, ctx.org, actor.person_id)
    return texts.staff_welcome(
        locale, name, list(dict.fromkeys(places)), private_help(audience, hotline, staff_first=True)
    )


async def sign_up_as_resident(
    callback: CallbackQuery, state: FSMContext, session: AsyncSession, ctx: Context, i18n: I18n
) -> None:
    """A staff member's "Register as a resident": registration from its first step."""
    message = await answered_with_button(callback)
    step = await registration_step(
        session, callback.from_user.id, ctx.org.residents.privacy_notice_version
    )
    if step is RegistrationStep.DONE:
        await state.clear()
        await message.answer(texts.welcome_back(), reply_markup=main_menu())
        return
    await _begin(message, state, ctx, i18n, step, None)


async def consent_given(
    callback: CallbackQuery,
    callback_data: ConsentChoice,
    state: FSMContext,
    session: AsyncSession,
    ctx: Context,
) -> None:
    assert isinstance(callback.message, Message)
    await clear_buttons(callback.message)
    if not callback_data.agree:
        await state.clear()
        await callback.answer()
        await callback.message.answer(
            _(
                "All right: nothing about you has been stored. Without your agreement I cannot "
                "register you, but /help still works. Send /start if you change your mind."
            )
        )
        return
    notice_version = ctx.org.residents.privacy_notice_version
    user = callback.from_user
    person = await record_consent(session, user.id, user.language_code, notice_version, ctx.now)
    await callback.answer(_("Thank you!"))
    step = step_of(person, notice_version)
    if step is RegistrationStep.DONE:  # agreeing again to a new version of the notice
        await state.clear()
        await callback.message.answer(
            _("Thank you! Choose what you need from the menu below."), reply_markup=main_menu()
        )
        return
    await _ask_next(callback.message, state, step, user.full_name)


async def name_given(
    message: Message, state: FSMContext, session: AsyncSession, ctx: Context
) -> None:
    assert message.from_user is not None and message.text is not None
    await set_full_name(session, message.from_user.id, message.text, ctx.now)
    await _ask_next(message, state, RegistrationStep.PHONE, None)


async def contact_given(
    message: Message, state: FSMContext, session: AsyncSession, ctx: Context, clock: Clock
) -> None:
    assert message.from_user is not None and message.contact is not None
    contact = message.contact
    await set_own_phone(
        session, message.from_user.id, contact.user_id, contact.phone_number, ctx.now
    )
    pending_code = (await state.get_data()).get("pending_code")
    await state.clear()
    await message.answer(
        _("Thank you, you are registered! Choose what you need from the menu below."),
        reply_markup=main_menu(),
    )
    if pending_code:
        await binding.redeem_code(message, session, ctx.org, clock, pending_code)
    else:
        await binding.offer_binding(message)


async def not_own_contact(message: Message) -> None:
    await _say(message, texts.not_own_contact())


async def phone_expected(message: Message) -> None:
    await _say(message, texts.own_phone_expected())


async def consent_expected(message: Message, ctx: Context, i18n: I18n) -> None:
    await message.answer(_("Please answer the question above first."))
    await _say(message, texts.consent_question(ctx.org, i18n.current_locale))


async def name_expected(message: Message) -> None:
    await message.answer(_("Please type your name."))


def build_router() -> Router:
    router = Router(name="resident.registration")
    router.message.register(start, CommandStart())
    router.callback_query.register(sign_up_as_resident, ResidentSignUp.filter())
    router.callback_query.register(
        consent_given, StateFilter(Registration.consent), ConsentChoice.filter()
    )
    router.message.register(
        name_given, StateFilter(Registration.name), F.text, ~F.text.startswith("/")
    )
    router.message.register(name_expected, StateFilter(Registration.name))
    phone = StateFilter(Registration.phone)
    # A number that cannot be used is refused with the share-phone button again.
    router.message.register(
        contact_given,
        phone,
        F.contact,
        own_contact,
        flags={"refusal_markup": share_phone_keyboard},
    )
    router.message.register(not_own_contact, phone, F.contact)
    router.message.register(phone_expected, phone)
    router.message.register(consent_expected, StateFilter(Registration.consent))
    return router
