"""Registering a resident: consent first, then name and phone number.

Nothing personal is stored before the resident agrees to the privacy notice;
the version of the notice they agreed to and when are recorded, and a new
version of the notice asks everyone again.
"""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from bot.i18n import N_, normalise_locale
from bot.services import audit
from bot.services.errors import Refused
from bot.services.people import person_by_telegram_id, person_by_telegram_id_or_new
from storage.models import Person

NAME_MAX_LENGTH = 100


class RegistrationStep(enum.StrEnum):
    CONSENT = "consent"
    NAME = "name"
    PHONE = "phone"
    DONE = "done"


class RegistrationError(Refused):
    """Input that cannot be used (a name, someone else's contact): told, not audited."""

    code = "bad_registration"
    audited = False


class NotRegistered(Refused):
    """Someone who has not (or not under the current privacy notice) registered."""

    code = "not_registered"
    default_reason = N_("Please register first: send /start.")
    audited = False


NOTICE_CHANGED = N_("Our privacy notice has changed. Please send /start to read it again.")


def step_of(person: Person | None, notice_version: str) -> RegistrationStep:
    if person is None or person.consented_at is None or person.consent_version != notice_version:
        return RegistrationStep.CONSENT
    if not person.full_name:
        return RegistrationStep.NAME
    if not person.phone:
        return RegistrationStep.PHONE
    return RegistrationStep.DONE


async def registration_step(
    session: AsyncSession, telegram_id: int, notice_version: str
) -> RegistrationStep:
    return step_of(await person_by_telegram_id(session, telegram_id), notice_version)


async def registered_resident(
    session: AsyncSession, telegram_id: int, notice_version: str
) -> Person | None:
    """The person, if they have agreed to the current notice and given name and phone."""
    person = await person_by_telegram_id(session, telegram_id)
    return person if step_of(person, notice_version) is RegistrationStep.DONE else None


async def resident(session: AsyncSession, telegram_id: int, notice_version: str) -> Person:
    """The registered resident with this Telegram id; else :class:`NotRegistered`."""
    person = await person_by_telegram_id(session, telegram_id)
    step = step_of(person, notice_version)
    if step is RegistrationStep.DONE:
        assert person is not None
        return person
    if person is not None and person.consented_at is not None and step is RegistrationStep.CONSENT:
        raise NotRegistered(NOTICE_CHANGED)
    raise NotRegistered()


async def record_consent(
    session: AsyncSession,
    telegram_id: int,
    telegram_language: str | None,
    notice_version: str,
    now: datetime,
) -> Person:
    person = await person_by_telegram_id_or_new(session, telegram_id, now)
    person.consent_version = notice_version
    person.consented_at = now
    person.telegram_language = normalise_locale(telegram_language)
    person.last_seen_at = now
    await session.flush()
    await audit.record(
        session,
        now,
        None,
        "privacy.consent",
        subject_person_id=person.id,
        data={"notice_version": notice_version},
    )
    return person


async def _consented(session: AsyncSession, telegram_id: int) -> Person:
    person = await person_by_telegram_id(session, telegram_id)
    if person is None or person.consented_at is None:
        raise RegistrationError(N_("Please agree to the privacy notice first: send /start."))
    return person


def clean_name(text: str) -> str:
    name = " ".join(text.split())
    if not name or name.startswith("/"):
        raise RegistrationError(N_("Please type your name."))
    if len(name) > NAME_MAX_LENGTH:
        raise RegistrationError(
            N_("A name can be at most {limit} characters long."), limit=NAME_MAX_LENGTH
        )
    return name


async def set_full_name(session: AsyncSession, telegram_id: int, text: str, now: datetime) -> str:
    person = await _consented(session, telegram_id)
    person.full_name = clean_name(text)
    person.last_seen_at = now
    await session.flush()
    return person.full_name


def clean_phone(phone: str) -> str:
    digits = "".join(ch for ch in phone if ch.isdigit())
    if not 5 <= len(digits) <= 20:
        raise RegistrationError(N_("This does not look like a phone number."))
    return f"+{digits}"


async def set_own_phone(
    session: AsyncSession,
    telegram_id: int,
    contact_user_id: int | None,
    phone: str,
    now: datetime,
) -> str:
    """Store the phone number of a shared contact, if it is the sender's own."""
    if contact_user_id != telegram_id:
        raise RegistrationError(
            N_(
                "That is not your own contact. Please press the button below to share "
                "your own phone number."
            )
        )
    person = await _consented(session, telegram_id)
    person.phone = clean_phone(phone)
    person.last_seen_at = now
    await session.flush()
    return person.phone
