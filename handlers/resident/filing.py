"""Filing a ticket, one step at a time: each handler updates the draft, then advances.

This module starts a filing and answers the question buttons; the summary and
submission are in ``filing_submit``, typed input and photos in ``filing_input``.
"""

from __future__ import annotations

from aiogram import F, Router
from aiogram.filters import StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message, ReplyKeyboardRemove
from aiogram.utils.i18n import gettext as _
from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import Clock
from bot.config.orgfile import Organisation
from bot.services.intake import categories, filing
from bot.services.intake.drafts import Draft
from bot.services.intake.filing import FilingRefused
from handlers.resident import binding
from handlers.resident.callbacks import FilingChoice
from handlers.resident.common import refusal
from handlers.resident.filing_flow import (
    STALE,
    Flow,
    advance,
    done_with_buttons,
    flow_for,
    kind_label,
)
from handlers.resident.filing_input import (
    category_typed,
    description_typed,
    location_typed,
    photo_received,
    place_typed,
    reprompt,
)
from handlers.resident.filing_submit import duplicate_action, summary_action
from handlers.resident.keyboards import main_menu
from handlers.resident.states import Filing
from storage.models import Person, TicketKind


async def begin_filing(
    message: Message,
    state: FSMContext,
    session: AsyncSession,
    organisation: Organisation,
    clock: Clock,
    person: Person,
    kind: str,
    flow_id: int,
    *,
    description: str | None = None,
    category_key: str | None = None,
) -> None:
    """Start a new filing conversation (from the menu or an accepted free-text offer)."""
    try:
        await filing.check_can_file(session, organisation, person, TicketKind(kind), clock.now())
    except FilingRefused as error:
        await state.clear()
        await message.answer(refusal(error), reply_markup=main_menu())
        if error.code == "needs_unit":
            await binding.offer_binding(message)
        return
    draft = Draft(
        kind=kind,
        description=description,
        category_key=category_key,
        category_chosen=category_key is not None,
    )
    await message.answer(
        _("New {kind}. You can stop at any step with /cancel.").format(
            kind=kind_label(kind).lower()
        ),
        reply_markup=ReplyKeyboardRemove(),
    )
    await advance(message, state, session, organisation, person, Flow(flow_id, draft))


# ------------------------------------------------------------------ button steps


async def category_chosen(
    callback: CallbackQuery,
    callback_data: FilingChoice,
    state: FSMContext,
    session: AsyncSession,
    organisation: Organisation,
) -> None:
    found = await flow_for(callback, callback_data, state, session, organisation)
    if found is None:
        return
    flow, person = found
    key = callback_data.value or None
    offered = {c.key for c in categories.categories_for(organisation, flow.draft.kind)}
    if key is not None and key not in offered:
        await callback.answer(_(STALE), show_alert=True)
        return
    flow.draft.category_key, flow.draft.category_chosen = key, True
    flow.duplicates_seen = False
    message = await done_with_buttons(callback)
    await advance(message, state, session, organisation, person, flow)


async def place_chosen(
    callback: CallbackQuery,
    callback_data: FilingChoice,
    state: FSMContext,
    session: AsyncSession,
    organisation: Organisation,
) -> None:
    found = await flow_for(callback, callback_data, state, session, organisation)
    if found is None:
        return
    flow, person = found
    try:
        await filing.choose_place(
            session, person, flow.draft, callback_data.what, int(callback_data.value or 0)
        )
    except FilingRefused as error:
        await callback.answer(refusal(error), show_alert=True)
        return
    flow.duplicates_seen = False
    message = await done_with_buttons(callback)
    await advance(message, state, session, organisation, person, flow)


async def photos_done(
    callback: CallbackQuery,
    callback_data: FilingChoice,
    state: FSMContext,
    session: AsyncSession,
    organisation: Organisation,
) -> None:
    found = await flow_for(callback, callback_data, state, session, organisation)
    if found is None:
        return
    flow, person = found
    flow.draft.photos_done = True
    flow.album = flow.album_ack = None
    message = await done_with_buttons(callback)
    await advance(message, state, session, organisation, person, flow)


async def urgent_chosen(
    callback: CallbackQuery,
    callback_data: FilingChoice,
    state: FSMContext,
    session: AsyncSession,
    organisation: Organisation,
) -> None:
    found = await flow_for(callback, callback_data, state, session, organisation)
    if found is None:
        return
    flow, person = found
    flow.draft.urgent, flow.draft.urgent_chosen = callback_data.value == "1", True
    message = await done_with_buttons(callback)
    await advance(message, state, session, organisation, person, flow)


def build_router() -> Router:
    router = Router(name="resident.filing")
    router.message.filter(F.chat.type == "private")
    router.callback_query.filter(F.message.chat.type == "private")
    cb = router.callback_query.register
    cb(category_chosen, StateFilter(Filing.category), FilingChoice.filter(F.what == "cat"))
    cb(
        place_chosen,
        StateFilter(Filing.place),
        FilingChoice.filter(F.what.in_({"unit", "area"})),
    )
    cb(photos_done, StateFilter(Filing.photos), FilingChoice.filter(F.what == "photos_done"))
    cb(urgent_chosen, StateFilter(Filing.urgent), FilingChoice.filter(F.what == "urgent"))
    cb(
        summary_action,
        StateFilter(Filing.summary),
        FilingChoice.filter(F.what.in_({"submit", "edit", "back", "field", "cancel"})),
    )
    cb(
        duplicate_action,
        StateFilter(Filing.duplicates),
        FilingChoice.filter(F.what.in_({"join", "new"})),
    )
    text = F.text & ~F.text.startswith("/")
    msg = router.message.register
    msg(category_typed, StateFilter(Filing.category), text)
    msg(place_typed, StateFilter(Filing.place), text)
    msg(location_typed, StateFilter(Filing.location), text)
    msg(description_typed, StateFilter(Filing.description), text)
    msg(photo_received, StateFilter(Filing.description, Filing.photos), F.photo)
    msg(reprompt, StateFilter(Filing))
    return router
