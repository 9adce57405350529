"""Names residents read: a ticket's kind and category, a draft's place."""

from __future__ import annotations

import html

from aiogram.utils.i18n import get_i18n
from aiogram.utils.i18n import gettext as _
from sqlalchemy.ext.asyncio import AsyncSession

from bot.config.orgfile import Organisation
from bot.presentation.texts import KIND_NAMES
from bot.services import resident_units
from bot.services.intake.drafts import Draft
from storage.models import TicketKind


def kind_label(kind: str) -> str:
    return _(KIND_NAMES[TicketKind(kind)])


def category_label(org: Organisation, key: str | None) -> str:
    if key is None:
        return _("Other")
    try:
        return org.category(key).name.get(get_i18n().current_locale)
    except KeyError:
        return key


async def place_label(session: AsyncSession, draft: Draft, org: Organisation) -> str:
    """The draft's unit, or its project's common area and the words saying where (escaped)."""
    locale = get_i18n().current_locale
    if draft.unit_id is not None:
        label = await resident_units.unit_label(session, draft.unit_id)
        return html.escape(label.named_for(org, locale).full if label else "—")
    if draft.project_id is None:
        return "—"
    name = await resident_units.project_name(session, draft.project_id, org, locale)
    project = html.escape(name)
    if draft.location_text:
        return f"{project} – {html.escape(draft.location_text)}"
    return project
