"""/profile as residents read it: name, phone, language and units, with their buttons."""

from __future__ import annotations

import html

from aiogram.utils.i18n import gettext as _
from sqlalchemy.ext.asyncio import AsyncSession

from bot.config.orgfile import Organisation
from bot.i18n import LANGUAGE_NAMES, pick_locale
from bot.presentation.announcements import mute_label, mute_line
from bot.presentation.buttons.announcements import MuteNotices
from bot.presentation.buttons.residents import ProfileAction, ProfileStep
from bot.presentation.residents.keyboards import InlineReply, Row, inline
from bot.services.announcements.sending import is_muted
from bot.services.resident_units import UnitLabel, units_of
from bot.services.unit_binding import pending_requests
from storage.models import Person


async def profile(session: AsyncSession, person: Person, org: Organisation) -> InlineReply:
    locale = pick_locale(person.language, person.telegram_language, org.default_language)
    units = [u.named_for(org, locale) for u in await units_of(session, person.id)]
    waiting = [u.named_for(org, locale) for u in await pending_requests(session, person.id)]
    language = LANGUAGE_NAMES[locale]
    muted = await is_muted(session, person.id)
    lines = [
        _("👤 <b>Your profile</b>"),
        _("Name: {name}").format(name=html.escape(person.full_name or "—")),
        _("Phone: {phone}").format(phone=html.escape(person.phone or "—")),
        _("Language: {language}").format(language=language),
        mute_line(muted, locale),
        "",
        _("Your units:") if units else _("You have no unit yet."),
    ]
    lines += [f"• {html.escape(u.full)}" for u in units]
    if waiting:
        lines.append(_("Waiting for the office to confirm:"))
        lines += [f"• {html.escape(u.full)}" for u in waiting]
    rows: list[Row] = [
        [
            (_("✏️ Name"), ProfileAction(what=ProfileStep.NAME).pack()),
            (_("📱 Phone"), ProfileAction(what=ProfileStep.PHONE).pack()),
            (_("🌐 Language"), ProfileAction(what=ProfileStep.LANGUAGE).pack()),
        ],
        [(_("➕ Add a unit"), ProfileAction(what=ProfileStep.ADD_UNIT).pack())],
        [(mute_label(muted, locale), MuteNotices(mute=not muted).pack())],
    ]
    rows += [
        [
            (
                _("➖ Remove {unit}").format(unit=u.short),
                ProfileAction(what=ProfileStep.REMOVE_UNIT, id=u.unit_id).pack(),
            )
        ]
        for u in units
    ]
    return InlineReply("\n".join(lines), inline(rows))


def remove_question(unit: UnitLabel) -> InlineReply:
    """Removing a unit is asked about first: adding it back needs the office again."""
    text = _(
        "Remove <b>{unit}</b> from your units? To add it again you will need the office's "
        "confirmation or a unit code. Your tickets stay as they are."
    ).format(unit=html.escape(unit.full))
    yes = ProfileAction(what=ProfileStep.REMOVE_CONFIRMED, id=unit.unit_id).pack()
    no = ProfileAction(what=ProfileStep.PROFILE).pack()
    return InlineReply(text, inline([[(_("Yes, remove it"), yes), (_("No, keep it"), no)]]))
