"""Filing in three actions: a clear problem, one confirmation, submit.

When a resident writes (or captions a photo with) a problem whose category is clear,
the offer proposes everything at once — the kind, the category and, for a resident
with one unit, the unit — and one press turns it into a draft that needs nothing
more than the summary's Submit. Urgency follows the words: a danger is urgent where
the category allows it; the summary's "Change something" can still change anything.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot.config.orgfile import Organisation
from bot.services.intake import categories
from bot.services.intake.drafts import Draft
from bot.services.intake.emergency import is_emergency
from bot.services.intake.filing import KINDS_NEEDING_A_UNIT, choose_place
from bot.services.intake.offers import Offer
from bot.services.resident_units import units_of
from storage.models import Person, TicketKind

_QUESTION = re.compile(
    r"[?？]|请问|如何|什么时候|几点|能否|可以吗|是否"
    r"|^\s*(?:how|when|what|where|can i|could i|is there|are there|do you|does)\b",
    re.IGNORECASE,
)
_COMPLAINT = re.compile(
    r"投诉|不满|态度差|太差|扰民|乱停|占用|没人管|"
    r"\b(?:complain(?:t|ing)?|unacceptable|rude|disgusting|nobody cares)\b",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class QuickOffer:
    """Everything the offer proposes at once: kind, category and (one) unit."""

    kind: TicketKind
    category_key: str
    unit_id: int | None
    unit_label: str | None

    def to_data(self) -> dict[str, Any]:
        return {"kind": str(self.kind), "category_key": self.category_key,
                "unit_id": self.unit_id, "unit_label": self.unit_label}  # fmt: skip

    @classmethod
    def from_data(cls, data: dict[str, Any]) -> QuickOffer:
        return cls(
            TicketKind(data["kind"]), data["category_key"], data["unit_id"], data["unit_label"]
        )


def likely_kind(text: str, kinds: list[TicketKind]) -> TicketKind:
    """The kind a message reads as, among those allowed: a question, a complaint, else a repair."""
    preferred = [TicketKind.REPAIR, TicketKind.COMPLAINT, TicketKind.INQUIRY]
    if _COMPLAINT.search(text):
        preferred = [TicketKind.COMPLAINT, TicketKind.REPAIR, TicketKind.INQUIRY]
    elif _QUESTION.search(text):
        preferred = [TicketKind.INQUIRY, TicketKind.REPAIR, TicketKind.COMPLAINT]
    for kind in preferred:
        if kind in kinds:
            return kind
    return kinds[0]


async def quick_offer(session: AsyncSession, person: Person, offer: Offer) -> QuickOffer | None:
    """The all-in-one proposal for an offer whose category is clear (None: ask step by step)."""
    if offer.category_key is None or not offer.kinds:
        return None
    kind = likely_kind(offer.description, offer.kinds)
    units = await units_of(session, person.id)
    if kind in KINDS_NEEDING_A_UNIT and len(units) != 1:
        return QuickOffer(kind, offer.category_key, None, None)
    unit = units[0] if len(units) == 1 else None
    return QuickOffer(
        kind, offer.category_key, unit.unit_id if unit else None, unit.short if unit else None
    )


async def quick_draft(
    session: AsyncSession,
    org: Organisation,
    person: Person,
    proposal: QuickOffer,
    description: str,
    photos: list[list[str | None]],
) -> Draft:
    """The draft the confirmed proposal stands for (the unit re-checked as the resident's)."""
    draft = Draft(
        kind=proposal.kind,
        description=description,
        category_key=proposal.category_key,
        category_chosen=True,
        photos=[list(p) for p in photos],
        photos_done=bool(photos),
    )
    if proposal.unit_id is not None:
        await choose_place(session, person, draft, "unit", proposal.unit_id)
    draft.urgent = categories.urgent_allowed(org, draft.category_key) and is_emergency(
        org, draft.category_key, description
    )
    draft.urgent_chosen = True
    return draft
