"""/start: greeting, privacy notice and consent, name, own phone number, then a unit."""

from __future__ import annotations

import html

from aiogram import F, Router
from aiogram.filters import CommandObject, CommandStart, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message, ReplyKeyboardRemove
from aiogram.utils.i18n import I18n
from aiogram.utils.i18n import gettext as _
from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import Clock
from bot.config.orgfile import Organisation
from bot.services import unit_codes
from bot.services.registration import (
    RegistrationError,
    RegistrationStep,
    record_consent,
    registration_step,
    set_full_name,
    set_own_phone,
    step_of,
)
from handlers.resident import binding
from handlers.resident.callbacks import ConsentChoice
from handlers.resident.common import clear_buttons, refusal
from handlers.resident.keyboards import (
    inline,
    main_menu,
    share_phone_keyboard,
    suggestion_keyboard,
)
from handlers.resident.states import Registration


def greeting() -> str:
    return _(
        "Hello! I am the resident service assistant of your property management office.\n"
        "Here you can report repairs, make complaints or suggestions, ask questions, "
        "and follow your requests until they are done.\n\n"
        "Send /help to see what I can do, or /language to change the language."
    )


def privacy_notice(organisation: Organisation, locale: str) -> str:
    policy = organisation.residents
    if policy.privacy_notice is not None:
        body = html.escape(policy.privacy_notice.get(locale))
    else:
        body = _(
            "To handle your requests we collect your name, your phone number (you share it "
            "with Telegram's button), the units you live or work in, and what you write and "
            "send in your requests.\n"
            "We use them only to handle your requests and to contact you about them; staff of "
            "your property see them as far as their work needs.\n"
            "We keep them while you use this service and for {days} days after your last "
            "request is closed.\n"
            "You can see your data with /mydata and have it erased with /forgetme at any time."
        ).format(days=policy.personal_data_kept_for.days)
    title = _("🔒 <b>Privacy notice</b> (version {version})").format(
        version=html.escape(policy.privacy_notice_version)
    )
    question = _("Do you agree that we store and use your data this way?")
    return f"{title}\n{body}\n\n{question}"


async def ask_consent(message: Message, organisation: Organisation, i18n: I18n) -> None:
    buttons = inline(
        [
            [(_("✅ I agree"), ConsentChoice(agree=True).pack())],
            [(_("No, thanks"), ConsentChoice(agree=False).pack())],
        ]
    )
    text = f"{greeting()}\n\n{privacy_notice(organisation, i18n.current_locale)}"
    await message.answer(text, reply_markup=buttons)


async def ask_name(message: Message, suggested: str | None) -> None:
    markup = suggestion_keyboard(suggested) if suggested else ReplyKeyboardRemove()
    await message.answer(
        _("What is your name? Please write it as the property office knows you."),
        reply_markup=markup,
    )


async def ask_phone(message: Message) -> None:
    await message.answer(
        _("Please share your phone number with the button below, so the office can call you."),
        reply_markup=share_phone_keyboard(),
    )


def _telegram_name(message: Message | CallbackQuery) -> str | None:
    user = message.from_user
    return user.full_name if user else None


async def start(
    message: Message,
    command: CommandObject,
    state: FSMContext,
    session: AsyncSession,
    organisation: Organisation,
    clock: Clock,
    i18n: I18n,
) -> None:
    assert message.from_user is not None
    code = command.args if command.args and unit_codes.looks_like_code(command.args) else None
    step = await registration_step(
        session, message.from_user.id, organisation.residents.privacy_notice_version
    )
    if step is RegistrationStep.DONE:
        await state.clear()
        if code is not None:
            await binding.redeem_code(message, session, organisation, clock, code)
            return
        await message.answer(
            f"{greeting()}\n\n{_('Choose what you need from the menu below.')}",
            reply_markup=main_menu(),
        )
        return
    data = await state.get_data()
    await state.set_data({"pending_code": code or data.get("pending_code")})
    if step is RegistrationStep.CONSENT:
        await state.set_state(Registration.consent)
        await ask_consent(message, organisation, i18n)
    elif step is RegistrationStep.NAME:
        await state.set_state(Registration.name)
        await ask_name(message, _telegram_name(message))
    else:
        await state.set_state(Registration.phone)
        await ask_phone(message)


async def consent_given(
    callback: CallbackQuery,
    callback_data: ConsentChoice,
    state: FSMContext,
    session: AsyncSession,
    organisation: Organisation,
    clock: Clock,
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
    person = await record_consent(
        session,
        callback.from_user.id,
        callback.from_user.language_code,
        organisation.residents.privacy_notice_version,
        clock.now(),
    )
    await callback.answer(_("Thank you!"))
    step = step_of(person, organisation.residents.privacy_notice_version)
    if step is RegistrationStep.NAME:
        await state.set_state(Registration.name)
        await ask_name(callback.message, _telegram_name(callback))
    elif step is RegistrationStep.PHONE:
        await state.set_state(Registration.phone)
        await ask_phone(callback.message)
    else:  # agreeing again to a new version of the notice
        await state.clear()
        await callback.message.answer(
            _("Thank you! Choose what you need from the menu below."), reply_markup=main_menu()
        )


async def name_given(
    message: Message, state: FSMContext, session: AsyncSession, clock: Clock
) -> None:
    assert message.from_user is not None and message.text is not None
    try:
        await set_full_name(session, message.from_user.id, message.text, clock.now())
    except RegistrationError as error:
        await message.answer(refusal(error))
        return
    await state.set_state(Registration.phone)
    await ask_phone(message)


async def contact_given(
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
    pending_code = (await state.get_data()).get("pending_code")
    await state.clear()
    await message.answer(
        _("Thank you, you are registered! Choose what you need from the menu below."),
        reply_markup=main_menu(),
    )
    if pending_code:
        await binding.redeem_code(message, session, organisation, clock, pending_code)
    else:
        await binding.offer_binding(message)


async def phone_expected(message: Message) -> None:
    await message.answer(
        _("Please use the button below to share your own phone number."),
        reply_markup=share_phone_keyboard(),
    )


async def consent_expected(message: Message, organisation: Organisation, i18n: I18n) -> None:
    await message.answer(_("Please answer the question above first."))
    await ask_consent(message, organisation, i18n)


async def name_expected(message: Message) -> None:
    await message.answer(_("Please type your name."))


def build_router() -> Router:
    router = Router(name="resident.registration")
    router.message.filter(F.chat.type == "private")
    router.message.register(start, CommandStart())
    router.callback_query.register(
        consent_given, StateFilter(Registration.consent), ConsentChoice.filter()
    )
    router.message.register(
        name_given, StateFilter(Registration.name), F.text, ~F.text.startswith("/")
    )
    router.message.register(name_expected, StateFilter(Registration.name))
    router.message.register(contact_given, StateFilter(Registration.phone), F.contact)
    router.message.register(phone_expected, StateFilter(Registration.phone))
    router.message.register(consent_expected, StateFilter(Registration.consent))
    return router
