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
from bot.services.intake.filing import choose_place
from bot.services.intake.offers import Offer
from bot.services.resident_units import units_of
from storage.models import Person, TicketKind

_QUESTION = re.compile(
    r"[?？]|请问|如何|什么时候|几点|能否|可以吗|是否"
    r"|^\s*(?:how|when|what|where|can i|could i|is there|are there|do you|does)\b",
    re.IGNORECASE,
)
_COMPLAINT = re.compile(
    r"投诉|不满|态度差|太差|扰民|乱停|占用|被占|没人管|"
    r"\b(?:complain(?:t|ing)?|unacceptable|rude|disgusting|nobody cares)\b",
    re.IGNORECASE,
)


# Words placing a problem outside the home: the proposal is then the common area of the
# resident's project, near their building (their unit is not where the lift is).
_COMMON_AREA = re.compile(
    r"电梯|楼道|走廊|过道|楼梯|大堂|大厅|大门|小区|车库|停车场|车位|地库|路灯|花园|绿化|垃圾房|垃圾站"
    r"|单元门|门禁|公共|消防通道|天台|屋顶|健身|游乐|外墙|充电桩"
    r"|\b(?:lifts?|elevators?|corridors?|hallways?|stair(?:s|case|well)?|lobby|entrance|gate"
    r"|car ?park|garage|parking|street ?lights?|garden|playground|bin (?:room|area)|communal"
    r"|common area|roof|gym)\b",
    re.IGNORECASE,
)
_COMMON_AREA_CATEGORIES = re.compile(
    r"lift|elevator|parking|facilit|public|garden|电梯|停车|公共|绿化", re.IGNORECASE
)


@dataclass(frozen=True)
class QuickOffer:
    """Everything the offer proposes at once: kind, category and the place.

    The place is the resident's one unit (``unit_id``), or the common area of their
    project (``area_project_id``) near their building (``location_text``); none when the
    resident has several units and must choose.
    """

    kind: TicketKind
    category_key: str
    unit_id: int | None
    place_label: str | None
    area_project_id: int | None = None
    location_text: str | None = None

    def to_data(self) -> dict[str, Any]:
        return {"kind": str(self.kind), "category_key": self.category_key,
                "unit_id": self.unit_id, "place_label": self.place_label,
                "area_project_id": self.area_project_id,
                "location_text": self.location_text}  # fmt: skip

    @classmethod
    def from_data(cls, data: dict[str, Any]) -> QuickOffer:
        return cls(
            TicketKind(data["kind"]),
            data["category_key"],
            data.get("unit_id"),
            data.get("place_label"),
            data.get("area_project_id"),
            data.get("location_text"),
        )


def about_common_area(org: Organisation, category_key: str, text: str) -> bool:
    """Whether the problem is in a common area (the lift, the corridor), not in the home."""
    if _COMMON_AREA.search(text):
        return True
    try:
        category = org.category(category_key)
    except KeyError:
        return False
    names = f"{category.key} {category.name.zh} {category.name.en}"
    return bool(_COMMON_AREA_CATEGORIES.search(names))


def reads_as_question(text: str) -> bool:
    """A question ("where can I park?", "请问…"), not a complaint put as one."""
    return bool(_QUESTION.search(text)) and not _COMPLAINT.search(text)


def likely_kind(text: str, kinds: list[TicketKind]) -> TicketKind:
    """The kind a message reads as, among those allowed: a question, a complaint, else a repair."""
    preferred = [TicketKind.REPAIR, TicketKind.COMPLAINT, TicketKind.INQUIRY]
    if _COMPLAINT.search(text):
        preferred = [TicketKind.COMPLAINT, TicketKind.REPAIR, TicketKind.INQUIRY]
    elif reads_as_question(text):
        preferred = [TicketKind.INQUIRY, TicketKind.REPAIR, TicketKind.COMPLAINT]
    for kind in preferred:
        if kind in kinds:
            return kind
    return kinds[0]


async def quick_offer(
    session: AsyncSession, org: Organisation, person: Person, offer: Offer, locale: str
) -> QuickOffer | None:
    """The all-in-one proposal for an offer whose category is clear (None: ask step by step);
    its place is named as people of ``locale`` read it."""
    if offer.category_key is None or not offer.kinds:
        return None
    kind = likely_kind(offer.description, offer.kinds)
    units = await units_of(session, person.id)
    if len(units) != 1:  # several units (or none): the place is asked next
        return QuickOffer(kind, offer.category_key, None, None)
    unit = units[0].named_for(org, locale)
    if about_common_area(org, offer.category_key, offer.description):
        label = f"{unit.project_name} · {unit.building_name}"
        return QuickOffer(
            kind, offer.category_key, None, label, unit.project_id, unit.building_name
        )
    return QuickOffer(kind, offer.category_key, unit.unit_id, unit.short)


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
    elif proposal.area_project_id is not None:
        await choose_place(session, person, draft, "area", proposal.area_project_id)
        draft.location_text = proposal.location_text
    draft.urgent = categories.urgent_allowed(org, draft.category_key) and is_emergency(
        org, draft.category_key, description
    )
    draft.urgent_chosen = True
    return draft
