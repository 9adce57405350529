"""A message outside any conversation: is it a problem to offer filing, and as what?"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from bot.config.orgfile import Organisation
from bot.services.intake import categories
from bot.services.intake.drafts import clean_description
from bot.services.intake.filing import KINDS_NEEDING_A_UNIT
from bot.services.resident_units import units_of
from storage.models import Person, TicketKind


@dataclass(frozen=True)
class Offer:
    """What to offer for a message: the kinds the resident may file it as."""

    description: str
    category_key: str | None
    kinds: list[TicketKind]
    has_unit: bool


async def offer_for(
    session: AsyncSession, org: Organisation, person: Person, text: str
) -> Offer | None:
    """The offer for ``text``; None for a greeting or chatter (raises if the text is unusable)."""
    description = clean_description(text, org.residents)
    reading = categories.read(org, description)
    if not reading.offered:
        return None
    guesses = reading.guesses
    category = guesses[0].key if guesses else None
    has_unit = bool(await units_of(session, person.id))
    allowed = [kind for kind in TicketKind if has_unit or kind not in KINDS_NEEDING_A_UNIT]
    kinds = [k for k in allowed if category is None or org.category(category).accepts(k)]
    if not kinds:  # the guessed category is not one this resident may file: ask without it
        category, kinds = None, allowed
    return Offer(description, category, kinds, has_unit)


def category_for_kind(org: Organisation, category_key: str | None, kind: str) -> str | None:
    """The guessed category, if the chosen kind accepts it."""
    if category_key is not None and not org.category(category_key).accepts(kind):
        return None
    return category_key
