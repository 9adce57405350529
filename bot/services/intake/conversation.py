"""The filing conversation's rules: which step comes next, and what editing a field means.

The conversation state (:class:`Flow`) is plain JSON kept in the FSM storage, so
a restart mid-conversation resumes the draft. :func:`next_step` names the first
thing the draft still lacks (or the summary); editing a field from the summary is
forgetting it (:func:`forget`) and asking for the next step again.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Any

from bot.config.orgfile import Organisation
from bot.services.intake import categories, filing
from bot.services.intake.drafts import Draft


class Step(enum.StrEnum):
    """The steps of a filing, in the order they are asked (the FSM state has the same name)."""

    CATEGORY = "category"
    PLACE = "place"
    LOCATION = "location"
    DESCRIPTION = "description"
    PHOTOS = "photos"
    URGENT = "urgent"
    SUMMARY = "summary"
    DUPLICATES = "duplicates"


class Field(enum.StrEnum):
    """What the resident may change from the summary."""

    CATEGORY = "category"
    PLACE = "place"
    DESCRIPTION = "description"
    PHOTOS = "photos"
    URGENT = "urgent"


@dataclass
class Flow:
    """The conversation state of one filing; ``id`` tells its buttons from older ones."""

    id: int
    draft: Draft
    album: str | None = None  # media_group_id of the album being received
    album_ack: int | None = None  # the message counting that album's photos
    duplicates_seen: bool = False
    hotline_shown: bool = False  # the emergency number was shown for this report

    @classmethod
    def from_data(cls, data: dict[str, Any]) -> Flow | None:
        draft = Draft.from_data(data.get("draft"))
        if draft is None or "flow" not in data:
            return None
        return cls(
            id=int(data["flow"]),
            draft=draft,
            album=data.get("album"),
            album_ack=data.get("album_ack"),
            duplicates_seen=bool(data.get("duplicates_seen")),
            hotline_shown=bool(data.get("hotline_shown")),
        )

    def to_data(self) -> dict[str, Any]:
        return {
            "flow": self.id,
            "draft": self.draft.to_data(),
            "album": self.album,
            "album_ack": self.album_ack,
            "duplicates_seen": self.duplicates_seen,
            "hotline_shown": self.hotline_shown,
        }

    def changed(self) -> None:
        """The draft changed: duplicates must be looked for again before submitting."""
        self.duplicates_seen = False


def next_step(org: Organisation, draft: Draft) -> Step:
    """The first thing missing from the draft (settling what needs no question)."""
    if not draft.category_chosen and not categories.categories_for(org, draft.kind):
        draft.category_chosen = True
    urgent_allowed = categories.urgent_allowed(org, draft.category_key)
    if not urgent_allowed:
        draft.urgent = False
    if not draft.category_chosen:
        return Step.CATEGORY
    if not draft.place_chosen:
        return Step.PLACE
    if filing.needs_location_text(draft) and not draft.location_text:
        return Step.LOCATION
    if not draft.description:
        return Step.DESCRIPTION
    if not draft.photos_done and org.residents.max_photos > 0:
        return Step.PHOTOS
    if urgent_allowed and not draft.urgent_chosen:
        return Step.URGENT
    return Step.SUMMARY


def editable_fields(org: Organisation, draft: Draft) -> list[Field]:
    urgent_allowed = categories.urgent_allowed(org, draft.category_key)
    return [f for f in Field if f is not Field.URGENT or urgent_allowed]


def forget(draft: Draft, field: str) -> None:
    """Clear one field so that :func:`next_step` asks for it again."""
    if field == Field.CATEGORY:
        draft.category_key, draft.category_chosen = None, False
        draft.urgent, draft.urgent_chosen = False, False
    elif field == Field.PLACE:
        draft.unit_id, draft.project_id, draft.location_text = None, None, None
        draft.place_chosen = False
    elif field == Field.DESCRIPTION:
        draft.description = None
    elif field == Field.PHOTOS:
        draft.photos, draft.photos_done = [], False
    elif field == Field.URGENT:
        draft.urgent, draft.urgent_chosen = False, False
