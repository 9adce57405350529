"""The filing conversation's engine: which step comes next, and how each step asks.

The draft in the conversation state says what is known; :func:`advance` asks
for the first thing missing, or shows the summary. Every step handler updates
the draft and calls it, so editing a field from the summary is just forgetting
that field and advancing again.
"""

from __future__ import annotations

import html
from dataclasses import dataclass

from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import get_i18n
from aiogram.utils.i18n import gettext as _
from sqlalchemy.ext.asyncio import AsyncSession

from bot.config.orgfile import Organisation
from bot.services import resident_units
from bot.services.intake import categories, filing
from bot.services.intake.drafts import Draft
from bot.services.notifications.texts import KIND_NAMES
from handlers.resident.callbacks import FilingChoice
from handlers.resident.common import clear_buttons, resident_for
from handlers.resident.keyboards import in_rows, inline
from handlers.resident.states import Filing
from storage.models import Person, TicketKind

EDITABLE_FIELDS = ("category", "place", "description", "photos", "urgent")
STALE = "This button is no longer valid."


@dataclass
class Flow:
    """The conversation state of one filing."""

    id: int
    draft: Draft
    album: str | None = None  # media_group_id of the album being received
    album_ack: int | None = None  # the message counting that album's photos
    duplicates_seen: bool = False

    @classmethod
    async def load(cls, state: FSMContext) -> Flow | None:
        data = await state.get_data()
        draft = Draft.from_data(data.get("draft"))
        if draft is None or "flow" not in data:
            return None
        return cls(
            id=int(data["flow"]),
            draft=draft,
            album=data.get("album"),
            album_ack=data.get("album_ack"),
            duplicates_seen=bool(data.get("duplicates_seen")),
        )

    async def save(self, state: FSMContext) -> None:
        await state.set_data(
            {
                "flow": self.id,
                "draft": self.draft.to_data(),
                "album": self.album,
                "album_ack": self.album_ack,
                "duplicates_seen": self.duplicates_seen,
            }
        )

    def button(self, what: str, value: str | int = "") -> str:
        return FilingChoice(flow=self.id, what=what, value=str(value)).pack()


def kind_label(kind: str) -> str:
    return _(KIND_NAMES[TicketKind(kind)])


def category_label(organisation: Organisation, key: str | None) -> str:
    if key is None:
        return _("Other")
    try:
        return organisation.category(key).name.get(get_i18n().current_locale)
    except KeyError:
        return key


async def place_label(session: AsyncSession, draft: Draft) -> str:
    if draft.unit_id is not None:
        label = await resident_units.unit_label(session, draft.unit_id)
        return html.escape(label.full if label else "—")
    if draft.project_id is None:
        return "—"
    project = html.escape(await resident_units.project_name(session, draft.project_id))
    if draft.location_text:
        return f"{project} – {html.escape(draft.location_text)}"
    return project


def photos_prompt(flow: Flow, limit: int) -> tuple[str, str]:
    count = len(flow.draft.photos)
    if count == 0:
        text = _(
            "Add photos if they help (up to {limit}; you can send several at once), "
            "or press “No photos”."
        ).format(limit=limit)
        return text, _("No photos")
    if count >= limit:
        text = _("Photos attached: {count} of {limit}, the most allowed. Press “Done”.")
    else:
        text = _("Photos attached: {count} of {limit}. Send more, or press “Done”.")
    return text.format(count=count, limit=limit), _("Done")


def photos_keyboard(flow: Flow, button: str):
    return inline([[(button, flow.button("photos_done"))]])


async def advance(
    message: Message,
    state: FSMContext,
    session: AsyncSession,
    organisation: Organisation,
    person: Person,
    flow: Flow,
) -> Message:
    """Ask for the first missing piece of the draft (or show the summary)."""
    draft = flow.draft
    kind = TicketKind(draft.kind)
    offered = categories.categories_for(organisation, draft.kind)
    if not draft.category_chosen and not offered:
        draft.category_chosen = True
    urgent_allowed = categories.urgent_allowed(organisation, draft.category_key)
    if not urgent_allowed:
        draft.urgent = False
    await flow.save(state)
    if not draft.category_chosen:
        await state.set_state(Filing.category)
        buttons = [
            (c.name.get(get_i18n().current_locale), flow.button("cat", c.key)) for c in offered
        ]
        buttons.append((_("Other"), flow.button("cat", "")))
        return await message.answer(
            _("What is your {kind} about?").format(kind=kind_label(draft.kind).lower()),
            reply_markup=inline(in_rows(buttons, 2)),
        )
    if not draft.place_chosen:
        await state.set_state(Filing.place)
        options = await filing.place_options(session, person, kind)
        buttons = [
            (f"🏠 {o.label}", flow.button("unit", o.id))
            if o.kind == "unit"
            else (
                _("🌳 {project}: common area or general").format(project=o.label),
                flow.button("area", o.id),
            )
            for o in options
        ]
        return await message.answer(
            _("Where is it? Choose your unit, or a common area."),
            reply_markup=inline(in_rows(buttons, 1)),
        )
    if filing.needs_location_text(draft) and not draft.location_text:
        await state.set_state(Filing.location)
        return await message.answer(
            _("Where exactly? For example: “lift 2 in building 3” or “the gate by the car park”.")
        )
    if not draft.description:
        await state.set_state(Filing.description)
        return await message.answer(
            _("Please describe it in a few words (at most {limit} characters).").format(
                limit=organisation.residents.description_max_length
            )
        )
    limit = organisation.residents.max_photos
    if not draft.photos_done and limit > 0:
        await state.set_state(Filing.photos)
        text, button = photos_prompt(flow, limit)
        return await message.answer(text, reply_markup=photos_keyboard(flow, button))
    if urgent_allowed and not draft.urgent_chosen:
        await state.set_state(Filing.urgent)
        return await message.answer(
            _("Is it urgent (a danger to people or property, or it cannot wait)?"),
            reply_markup=inline(
                [
                    [
                        (_("⚡ Yes, urgent"), flow.button("urgent", 1)),
                        (_("No"), flow.button("urgent", 0)),
                    ]
                ]
            ),
        )
    await state.set_state(Filing.summary)
    return await message.answer(
        await summary_text(session, organisation, draft), reply_markup=summary_keyboard(flow)
    )


async def summary_text(session: AsyncSession, organisation: Organisation, draft: Draft) -> str:
    urgent = _("yes") if draft.urgent else _("no")
    return _(
        "📝 <b>Please check your {kind}</b>\n"
        "Category: {category}\n"
        "Where: {place}\n"
        "Description: {description}\n"
        "Photos: {photos}\n"
        "Urgent: {urgent}\n\n"
        "Is everything right?"
    ).format(
        kind=kind_label(draft.kind).lower(),
        category=html.escape(category_label(organisation, draft.category_key)),
        place=await place_label(session, draft),
        description=html.escape(draft.description or ""),
        photos=len(draft.photos),
        urgent=urgent,
    )


def summary_keyboard(flow: Flow):
    return inline(
        [
            [(_("✅ Submit"), flow.button("submit"))],
            [
                (_("✏️ Change something"), flow.button("edit")),
                (_("✖️ Cancel"), flow.button("cancel")),
            ],
        ]
    )


def edit_keyboard(flow: Flow, organisation: Organisation):
    labels = {
        "category": _("Category"),
        "place": _("Place"),
        "description": _("Description"),
        "photos": _("Photos"),
        "urgent": _("Urgent"),
    }
    fields = [
        f
        for f in EDITABLE_FIELDS
        if f != "urgent" or categories.urgent_allowed(organisation, flow.draft.category_key)
    ]
    buttons = [(labels[f], flow.button("field", f)) for f in fields]
    return inline([*in_rows(buttons, 3), [(_("« Back"), flow.button("back"))]])


def forget(draft: Draft, field: str) -> None:
    """Clear one field so that :func:`advance` asks for it again."""
    if field == "category":
        draft.category_key, draft.category_chosen = None, False
        draft.urgent, draft.urgent_chosen = False, False
    elif field == "place":
        draft.unit_id, draft.project_id, draft.location_text = None, None, None
        draft.place_chosen = False
    elif field == "description":
        draft.description = None
    elif field == "photos":
        draft.photos, draft.photos_done = [], False
    elif field == "urgent":
        draft.urgent, draft.urgent_chosen = False, False


async def flow_for(
    callback: CallbackQuery,
    data: FilingChoice,
    state: FSMContext,
    session: AsyncSession,
    organisation: Organisation,
) -> tuple[Flow, Person] | None:
    """The conversation this button belongs to, and its resident (else the press is answered)."""
    flow = await Flow.load(state)
    if flow is None or flow.id != data.flow:
        await callback.answer(_(STALE), show_alert=True)
        return None
    person = await resident_for(callback, session, organisation)
    return (flow, person) if person is not None else None


async def done_with_buttons(callback: CallbackQuery) -> Message:
    assert isinstance(callback.message, Message)
    await callback.answer()
    await clear_buttons(callback.message)
    return callback.message
