"""Registration as residents read it: the greeting, the privacy notice and the questions."""

from __future__ import annotations

import html

from aiogram.types import ReplyKeyboardRemove
from aiogram.utils.i18n import gettext as _
from aiogram.utils.i18n import ngettext

from bot.config.orgfile import Organisation
from bot.i18n import N_, listed
from bot.presentation.buttons.residents import ConsentChoice, ResidentSignUp
from bot.presentation.residents.keyboards import (
    Reply,
    inline,
    share_phone_keyboard,
    suggestion_keyboard,
)

# The same words as the service's refusal: said with the button to share the right contact.
NOT_OWN_CONTACT = N_(
    "That is not your own contact. Please press the button below to share your own phone number."
)


def greeting() -> str:
    return _(
        "Hello! I am the resident service assistant of your property management office.\n"
        "Here you can report repairs, make complaints or suggestions, ask questions, "
        "and follow your requests until they are done.\n\n"
        "Send /help to see what I can do, or /language to change the language."
    )


def privacy_notice(org: Organisation, locale: str) -> str:
    policy = org.residents
    if policy.privacy_notice is not None:
        body = html.escape(policy.privacy_notice.get(locale))
    else:
        days = policy.personal_data_kept_for.days
        body = ngettext(
            "To handle your requests we collect your name, your phone number (you share it "
            "with Telegram's button), the units you live or work in, and what you write and "
            "send in your requests.\n"
            "We use them only to handle your requests and to contact you about them; staff of "
            "your property see them as far as their work needs.\n"
            "We keep them while you use this service and for {days} day after your last "
            "request is closed.\n"
            "You can see your data with /mydata and have it erased with /forgetme at any time.",
            "To handle your requests we collect your name, your phone number (you share it "
            "with Telegram's button), the units you live or work in, and what you write and "
            "send in your requests.\n"
            "We use them only to handle your requests and to contact you about them; staff of "
            "your property see them as far as their work needs.\n"
            "We keep them while you use this service and for {days} days after your last "
            "request is closed.\n"
            "You can see your data with /mydata and have it erased with /forgetme at any time.",
            days,
        ).format(days=days)
    title = _("🔒 <b>Privacy notice</b> (version {version})").format(
        version=html.escape(policy.privacy_notice_version)
    )
    question = _("Do you agree that we store and use your data this way?")
    return f"{title}\n{body}\n\n{question}"


def consent_question(org: Organisation, locale: str) -> Reply:
    buttons = inline(
        [
            [(_("✅ I agree"), ConsentChoice(agree=True).pack())],
            [(_("No, thanks"), ConsentChoice(agree=False).pack())],
        ]
    )
    return Reply(f"{greeting()}\n\n{privacy_notice(org, locale)}", buttons)


def staff_welcome(locale: str, name: str, places: list[str], help_text: str) -> Reply:
    """/start from staff who have not registered as residents: they need not, to work."""
    hello = _(
        "👋 Hello, {name}! You work for {places}: you can use me for that without "
        "registering as a resident."
    ).format(name=html.escape(name), places=html.escape(listed(locale, places)))
    home = _(
        "If you also live in one of our properties and want to report something about your "
        "own home, register as a resident too."
    )
    buttons = inline([[(_("🏠 Register as a resident"), ResidentSignUp().pack())]])
    return Reply(f"{hello}\n\n{help_text}\n\n{home}", buttons)


def welcome_back() -> str:
    return f"{greeting()}\n\n{_('Choose what you need from the menu below.')}"


def name_question(suggested: str | None) -> Reply:
    markup = suggestion_keyboard(suggested) if suggested else ReplyKeyboardRemove()
    return Reply(_("What is your name? Please write it as the property office knows you."), markup)


def phone_question() -> Reply:
    return Reply(
        _("Please share your phone number with the button below, so the office can call you."),
        share_phone_keyboard(),
    )


def own_phone_expected() -> Reply:
    return Reply(
        _("Please use the button below to share your own phone number."), share_phone_keyboard()
    )


def not_own_contact() -> Reply:
    return Reply(_(NOT_OWN_CONTACT), share_phone_keyboard())
