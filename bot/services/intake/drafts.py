"""A ticket being filed, kept in the conversation state between steps.

The draft is plain JSON (it lives in the FSM storage, so it survives a restart
mid-conversation); nothing in it is trusted at submission: the unit, project
and category are checked again.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from bot.config.orgfile.models import ResidentPolicy
from bot.i18n import N_
from bot.services.errors import Refused
from bot.services.tickets.lifecycle import Photo, TicketDraft
from storage.models import TicketKind


class DraftRefused(Refused):
    """Text that cannot be used (empty, too long): an ordinary mistake, not audited."""

    code = "bad_text"
    audited = False


@dataclass
class Draft:
    kind: str
    project_id: int | None = None
    category_key: str | None = None
    category_chosen: bool = False  # "Other" is a choice too (category_key None)
    unit_id: int | None = None
    location_text: str | None = None
    place_chosen: bool = False
    description: str | None = None
    photos: list[list[str | None]] = field(default_factory=list)  # [file_id, file_unique_id]
    photos_done: bool = False
    urgent: bool = False
    urgent_chosen: bool = False

    def to_data(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_data(cls, data: dict[str, Any] | None) -> Draft | None:
        if not data:
            return None
        known = {name: data[name] for name in cls.__dataclass_fields__ if name in data}
        return cls(**known)

    @property
    def ticket_kind(self) -> TicketKind:
        return TicketKind(self.kind)

    @property
    def matching_text(self) -> str:
        return " ".join(p for p in (self.location_text, self.description) if p)

    def add_photo(self, file_id: str, file_unique_id: str | None, limit: int) -> bool:
        """Attach a photo; False when the limit is reached (the photo is ignored)."""
        if len(self.photos) >= limit:
            return False
        if any(p[1] is not None and p[1] == file_unique_id for p in self.photos):
            return True  # the same picture twice counts once
        self.photos.append([file_id, file_unique_id])
        return True

    def to_ticket_draft(self, project_id: int) -> TicketDraft:
        return TicketDraft(
            project_id=project_id,
            kind=self.ticket_kind,
            description=self.description or "",
            category_key=self.category_key,
            urgent=self.urgent,
            property_unit_id=self.unit_id,
            location_text=self.location_text,
            photos=[Photo(file_id, unique) for file_id, unique in self.photos if file_id],
        )


def clean_text(text: str, limit: int) -> str:
    """Trimmed user text within the configured length; the refusal names the limit."""
    cleaned = text.strip()
    if not cleaned:
        raise DraftRefused(N_("Please write a few words."))
    if len(cleaned) > limit:
        raise DraftRefused(
            N_("This is too long: at most {limit} characters, yours has {length}."),
            limit=limit,
            length=len(cleaned),
        )
    return cleaned


def clean_description(text: str, policy: ResidentPolicy) -> str:
    return clean_text(text, policy.description_max_length)


LOCATION_MAX_LENGTH = 300


def clean_location(text: str) -> str:
    return clean_text(text, LOCATION_MAX_LENGTH)
