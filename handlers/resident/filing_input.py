"""What residents type or send during a filing: places, descriptions, photos, and
anything a step cannot use."""

from __future__ import annotations

from aiogram import Bot
from aiogram.fsm.context import FSMContext
from aiogram.types import Message
from aiogram.utils.i18n import gettext as _
from sqlalchemy.ext.asyncio import AsyncSession

from bot.config.orgfile import Organisation
from bot.services.intake import categories, filing
from bot.services.intake.drafts import Draft, DraftRefused, clean_description, clean_location
from handlers.resident.common import edit_sent, photo_of, refusal, resident_for
from handlers.resident.filing_flow import Flow, advance, photos_keyboard, photos_prompt
from handlers.resident.states import Filing

# ------------------------------------------------------------------ typed steps


async def _typed(
    message: Message,
    state: FSMContext,
    session: AsyncSession,
    organisation: Organisation,
    update,
) -> None:
    flow = await Flow.load(state)
    person = await resident_for(message, session, organisation)
    if flow is None or person is None:
        await state.clear()
        return
    try:
        update(flow.draft)
    except DraftRefused as error:
        await message.answer(refusal(error))
        return
    flow.duplicates_seen = False
    await advance(message, state, session, organisation, person, flow)


async def location_typed(
    message: Message, state: FSMContext, session: AsyncSession, organisation: Organisation
) -> None:
    text = message.text or ""

    def update(draft: Draft) -> None:
        draft.location_text = clean_location(text)

    await _typed(message, state, session, organisation, update)


async def place_typed(
    message: Message, state: FSMContext, session: AsyncSession, organisation: Organisation
) -> None:
    """Typing a place instead of pressing a button: a common area, if it can only be one."""
    flow = await Flow.load(state)
    person = await resident_for(message, session, organisation)
    if flow is None or person is None:
        return
    options = await filing.place_options(session, person, flow.draft.ticket_kind)
    areas = [o for o in options if o.kind == "area"]
    if len(areas) != 1:
        await message.answer(_("Please choose one of the buttons."))
        await advance(message, state, session, organisation, person, flow)
        return
    text = message.text or ""

    def update(draft: Draft) -> None:
        draft.location_text = clean_location(text)
        draft.unit_id, draft.project_id, draft.place_chosen = None, areas[0].id, True

    await _typed(message, state, session, organisation, update)


async def description_typed(
    message: Message, state: FSMContext, session: AsyncSession, organisation: Organisation
) -> None:
    text = message.text or ""

    def update(draft: Draft) -> None:
        draft.description = clean_description(text, organisation.residents)

    await _typed(message, state, session, organisation, update)


async def category_typed(
    message: Message, state: FSMContext, session: AsyncSession, organisation: Organisation
) -> None:
    """Typing instead of pressing: accept it if it clearly names one category."""
    flow = await Flow.load(state)
    person = await resident_for(message, session, organisation)
    if flow is None or person is None:
        return
    guesses = categories.guess(organisation, message.text or "", flow.draft.kind)
    if guesses:
        flow.draft.category_key, flow.draft.category_chosen = guesses[0].key, True
    else:
        await message.answer(_("Please choose one of the buttons."))
    await advance(message, state, session, organisation, person, flow)


# ------------------------------------------------------------------ photos


async def photo_received(
    message: Message,
    state: FSMContext,
    session: AsyncSession,
    organisation: Organisation,
    bot: Bot,
) -> None:
    """A photo (or one photo of an album): attached, and counted in one message per album."""
    flow = await Flow.load(state)
    person = await resident_for(message, session, organisation)
    photo = photo_of(message)
    if flow is None or person is None or photo is None:
        return
    limit = organisation.residents.max_photos
    flow.draft.add_photo(photo[0], photo[1], limit)
    current = await state.get_state()
    same_album = message.media_group_id is not None and message.media_group_id == flow.album
    if current == Filing.description.state:
        caption = (message.caption or "").strip()
        if caption and not flow.draft.description:
            try:
                flow.draft.description = clean_description(caption, organisation.residents)
            except DraftRefused as error:
                await flow.save(state)
                await message.answer(refusal(error))
                return
        if not flow.draft.description:
            flow.album = message.media_group_id
            await flow.save(state)
            if not same_album:
                await message.answer(_("Photo attached. Now please describe the problem in words."))
            return
        sent = await advance(message, state, session, organisation, person, flow)
        flow.album, flow.album_ack = message.media_group_id, sent.message_id
        await flow.save(state)
        return
    text, button = photos_prompt(flow, limit)
    if same_album and flow.album_ack is not None:
        await edit_sent(bot, message.chat.id, flow.album_ack, text, photos_keyboard(flow, button))
        await flow.save(state)
        return
    sent = await message.answer(text, reply_markup=photos_keyboard(flow, button))
    flow.album, flow.album_ack = message.media_group_id, sent.message_id
    await flow.save(state)


# ------------------------------------------------------------------ anything else


async def reprompt(
    message: Message, state: FSMContext, session: AsyncSession, organisation: Organisation
) -> None:
    """Something we cannot use at this step (a sticker, a voice note, a file...): ask again."""
    flow = await Flow.load(state)
    person = await resident_for(message, session, organisation)
    if flow is None or person is None:
        await state.clear()
        return
    current = await state.get_state()
    if current in (Filing.location.state, Filing.description.state):
        hint = _("I can only use text here. Please write it.")
    elif current == Filing.photos.state:
        hint = _("Please send a photo, or press the button.")
    else:
        hint = _("Please choose one of the buttons.")
    await message.answer(hint)
    await advance(message, state, session, organisation, person, flow)
