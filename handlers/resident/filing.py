"""Filing a ticket, one step at a time: each handler updates the draft, then advances.

The draft lives in the conversation state (``bot.services.intake.conversation.Flow``),
so a restart resumes it; :func:`advance` asks for the first thing the draft lacks, or
shows the summary. Buttons carry the conversation's id: an older conversation's
buttons are refused. The questions are rendered by ``bot.presentation.residents.filing``.
"""

from __future__ import annotations

from aiogram import Bot, F, Router
from aiogram.filters import StateFilter
from aiogram.filters.callback_data import CallbackQueryFilter
from aiogram.fsm.state import State
from aiogram.types import CallbackQuery, Message, ReplyKeyboardRemove
from aiogram.utils.i18n import gettext as _

from bot.presentation.buttons.residents import FilingAction, FilingChoice
from bot.presentation.residents import filing as texts
from bot.presentation.residents.keyboards import main_menu
from bot.services.errors import StaleButton
from bot.services.intake import emergency, filing
from bot.services.intake.conversation import Flow, Step, forget, next_step
from bot.services.intake.drafts import Draft, clean_description, clean_location
from handlers.resident import binding, self_service
from handlers.resident.common import (
    answered_with_button,
    done_with_buttons,
    edit_sent,
    photo_of,
    set_buttons,
)
from handlers.resident.registered import Turn
from handlers.resident.states import Filing
from storage.models import TicketKind

# ------------------------------------------------------------------ the conversation


async def current_flow(turn: Turn) -> Flow | None:
    """The filing in the conversation state; a filing step without one is left."""
    flow = Flow.from_data(await turn.state.get_data())
    if flow is None:
        await turn.state.clear()
    return flow


async def save(turn: Turn, flow: Flow) -> None:
    await turn.state.set_data(flow.to_data())


async def flow_of(turn: Turn, pressed: FilingChoice) -> Flow:
    """The conversation this button belongs to; another conversation's button is stale."""
    flow = Flow.from_data(await turn.state.get_data())
    if flow is None or flow.id != pressed.flow:
        raise StaleButton()
    return flow


async def advance(message: Message, turn: Turn, flow: Flow) -> Message:
    """Ask for the first missing piece of the draft (or show the summary).

    A report that turns out dangerous (its category, or its words) shows the emergency
    number first, once.
    """
    draft = flow.draft
    if not flow.hotline_shown and emergency.is_emergency(
        turn.ctx.org, draft.category_key, draft.description
    ):
        flow.hotline_shown = True
        number = await emergency.hotline_for_resident(turn.session, turn.ctx.org, turn.person.id)
        await message.answer(texts.hotline_alert(number))
    step = next_step(turn.ctx.org, flow.draft)
    await save(turn, flow)
    await turn.state.set_state(getattr(Filing, step))
    reply = await texts.question(turn.session, turn.ctx.org, turn.person, flow, step)
    return await message.answer(reply.text, reply_markup=reply.markup)


async def begin_filing(
    message: Message,
    turn: Turn,
    kind: str,
    flow_id: int,
    *,
    description: str | None = None,
    category_key: str | None = None,
    photos: list[list[str | None]] | None = None,
    draft: Draft | None = None,
    hotline_shown: bool = False,
) -> None:
    """Start a new filing conversation (from the menu or an accepted free-text offer).

    ``draft``: a whole draft already confirmed (the one-step proposal); the others
    prefill a new one. ``hotline_shown``: the offer already showed the emergency number.
    """
    ctx = turn.ctx
    refused = await filing.why_not_file(
        turn.session, ctx.org, turn.person, TicketKind(kind), ctx.now
    )
    if refused is not None:
        # Not a refused press: the resident is told why and, without a unit, how to add one.
        await turn.state.clear()
        await message.answer(_(refused.reason).format(**refused.values), reply_markup=main_menu())
        if refused.code == filing.NEEDS_UNIT:
            await binding.offer_binding(message)
        return
    if draft is None:
        draft = Draft(
            kind=kind,
            description=description,
            category_key=category_key,
            category_chosen=category_key is not None,
            photos=list(photos or []),
        )
    flow = Flow(flow_id, draft, hotline_shown=hotline_shown)
    await message.answer(texts.started(kind), reply_markup=ReplyKeyboardRemove())
    await advance(message, turn, flow)


async def step_done(callback: CallbackQuery, turn: Turn, flow: Flow) -> None:
    """A question answered with a button: the answer shows under it, the next one comes."""
    await advance(await answered_with_button(callback), turn, flow)


async def ended(callback: CallbackQuery, turn: Turn, text: str) -> None:
    """The conversation is over: the answer shows under its last question (“» ✅ Submit”),
    the main menu comes back."""
    message = await answered_with_button(callback)
    await turn.state.clear()
    await message.answer(text, reply_markup=main_menu())


# ------------------------------------------------------------------ buttons


async def category_chosen(callback: CallbackQuery, callback_data: FilingChoice, turn: Turn) -> None:
    flow = await flow_of(turn, callback_data)
    filing.choose_category(turn.ctx.org, flow.draft, callback_data.value or None)
    flow.changed()
    if await self_service.notice_answers_category(callback, turn, flow):
        return  # an active notice covers it: OK, or file anyway
    await step_done(callback, turn, flow)


async def place_chosen(callback: CallbackQuery, callback_data: FilingChoice, turn: Turn) -> None:
    flow = await flow_of(turn, callback_data)
    option = int(callback_data.value or 0)
    await filing.choose_place(turn.session, turn.person, flow.draft, callback_data.what, option)
    flow.changed()
    await step_done(callback, turn, flow)


async def photos_done(callback: CallbackQuery, callback_data: FilingChoice, turn: Turn) -> None:
    flow = await flow_of(turn, callback_data)
    flow.draft.photos_done = True
    flow.album = flow.album_ack = None
    await step_done(callback, turn, flow)


async def urgent_chosen(callback: CallbackQuery, callback_data: FilingChoice, turn: Turn) -> None:
    flow = await flow_of(turn, callback_data)
    flow.draft.urgent, flow.draft.urgent_chosen = callback_data.value == "1", True
    await step_done(callback, turn, flow)


async def field_chosen(callback: CallbackQuery, callback_data: FilingChoice, turn: Turn) -> None:
    """A field to change from the summary: forgotten, so that it is asked again."""
    flow = await flow_of(turn, callback_data)
    forget(flow.draft, callback_data.value)
    flow.changed()
    await advance(await done_with_buttons(callback), turn, flow)


async def edit_chosen(callback: CallbackQuery, callback_data: FilingChoice, turn: Turn) -> None:
    """“Change something”: the summary's buttons become the fields to change."""
    flow = await flow_of(turn, callback_data)
    await callback.answer()
    assert isinstance(callback.message, Message)
    await set_buttons(callback.message, texts.edit_keyboard(flow, turn.ctx.org))


async def back_to_summary(callback: CallbackQuery, callback_data: FilingChoice, turn: Turn) -> None:
    flow = await flow_of(turn, callback_data)
    await callback.answer()
    assert isinstance(callback.message, Message)
    await set_buttons(callback.message, texts.summary_keyboard(flow))


async def filing_cancelled(
    callback: CallbackQuery, callback_data: FilingChoice, turn: Turn
) -> None:
    await flow_of(turn, callback_data)
    await ended(callback, turn, _("Cancelled."))


async def submitted(callback: CallbackQuery, callback_data: FilingChoice, turn: Turn) -> None:
    """Submit (or “File a new one” after the duplicates): similar open tickets first."""
    flow = await flow_of(turn, callback_data)
    session, org = turn.session, turn.ctx.org
    if not flow.duplicates_seen:
        found = await filing.find_duplicates(session, org, turn.person.id, flow.draft)
        if found:
            flow.duplicates_seen = True
            await save(turn, flow)
            await turn.state.set_state(Filing.duplicates)
            reply = texts.duplicates(flow, found)
            message = await answered_with_button(callback)
            await message.answer(reply.text, reply_markup=reply.markup)
            return
    ticket = await filing.submit(session, turn.ctx, turn.person, flow.draft)
    await ended(callback, turn, await texts.filed(session, org, ticket))


async def duplicate_joined(
    callback: CallbackQuery, callback_data: FilingChoice, turn: Turn
) -> None:
    flow = await flow_of(turn, callback_data)
    ticket_id = int(callback_data.value or 0)
    ticket = await filing.join_duplicate(turn.session, turn.ctx, turn.person, flow.draft, ticket_id)
    await ended(callback, turn, texts.joined(ticket))


# ------------------------------------------------------------------ typed steps


async def category_typed(message: Message, turn: Turn) -> None:
    """Typing instead of pressing: accepted if it clearly names one category."""
    if (flow := await current_flow(turn)) is None:
        return
    if not filing.category_typed(turn.ctx.org, flow.draft, message.text or ""):
        await message.answer(texts.hint(Step.CATEGORY))
    await advance(message, turn, flow)


async def place_typed(message: Message, turn: Turn) -> None:
    """Typing a place instead of pressing a button: a common area, if it can only be one."""
    if (flow := await current_flow(turn)) is None:
        return
    if await filing.place_typed(turn.session, turn.person, flow.draft, message.text or ""):
        flow.changed()
    else:
        await message.answer(texts.hint(Step.PLACE))
    await advance(message, turn, flow)


async def location_typed(message: Message, turn: Turn) -> None:
    if (flow := await current_flow(turn)) is None:
        return
    flow.draft.location_text = clean_location(message.text or "")
    flow.changed()
    await advance(message, turn, flow)


async def description_typed(message: Message, turn: Turn) -> None:
    if (flow := await current_flow(turn)) is None:
        return
    flow.draft.description = clean_description(message.text or "", turn.ctx.org.residents)
    flow.changed()
    if await self_service.faq_answers_question(message, turn, flow):
        return  # a question the FAQ answers: This answered it, or I still need help
    await advance(message, turn, flow)


async def photo_received(message: Message, turn: Turn, bot: Bot) -> None:
    """A photo (or one photo of an album): attached, and counted in one message per album."""
    flow = await current_flow(turn)
    photo = photo_of(message)
    if flow is None or photo is None:
        return
    residents = turn.ctx.org.residents
    flow.draft.add_photo(photo[0], photo[1], residents.max_photos)
    same_album = message.media_group_id is not None and message.media_group_id == flow.album
    if await turn.state.get_state() == Filing.description.state:
        caption = (message.caption or "").strip()
        if caption and not flow.draft.description:
            try:
                flow.draft.description = clean_description(caption, residents)
            finally:  # the photo stays attached even when its caption is refused
                await save(turn, flow)
        if not flow.draft.description:
            flow.album = message.media_group_id
            await save(turn, flow)
            if not same_album:
                await message.answer(texts.photo_needs_words())
            return
        sent = await advance(message, turn, flow)
        flow.album, flow.album_ack = message.media_group_id, sent.message_id
        await save(turn, flow)
        return
    reply = texts.photos(flow, residents.max_photos)
    if same_album and flow.album_ack is not None:
        await edit_sent(bot, message.chat.id, flow.album_ack, reply.text, reply.markup)
    else:
        sent = await message.answer(reply.text, reply_markup=reply.markup)
        flow.album, flow.album_ack = message.media_group_id, sent.message_id
    await save(turn, flow)


async def reprompt(message: Message, turn: Turn) -> None:
    """Something we cannot use at this step (a sticker, a voice note, a file...): ask again."""
    if (flow := await current_flow(turn)) is None:
        return
    current = await turn.state.get_state()
    step = Step(current.split(":", 1)[1]) if current else None
    await message.answer(texts.hint(step))
    if step is Step.DUPLICATES:  # the neighbours' reports again, not the summary
        session, org = turn.session, turn.ctx.org
        if found := await filing.find_duplicates(session, org, turn.person.id, flow.draft):
            reply = texts.duplicates(flow, found)
            await message.answer(reply.text, reply_markup=reply.markup)
            return
    await advance(message, turn, flow)


def build_router() -> Router:
    router = Router(name="resident.filing")
    button = router.callback_query.register

    def pressed(step: State, *actions: FilingAction) -> tuple[StateFilter, CallbackQueryFilter]:
        return StateFilter(step), FilingChoice.filter(F.what.in_(set(actions)))

    button(category_chosen, *pressed(Filing.category, FilingAction.CATEGORY))
    button(place_chosen, *pressed(Filing.place, FilingAction.UNIT, FilingAction.AREA))
    button(photos_done, *pressed(Filing.photos, FilingAction.PHOTOS_DONE))
    button(urgent_chosen, *pressed(Filing.urgent, FilingAction.URGENT))
    button(edit_chosen, *pressed(Filing.summary, FilingAction.EDIT))
    button(back_to_summary, *pressed(Filing.summary, FilingAction.BACK))
    button(field_chosen, *pressed(Filing.summary, FilingAction.FIELD))
    button(filing_cancelled, *pressed(Filing.summary, FilingAction.CANCEL))
    button(submitted, *pressed(Filing.summary, FilingAction.SUBMIT))
    button(submitted, *pressed(Filing.duplicates, FilingAction.NEW))
    button(duplicate_joined, *pressed(Filing.duplicates, FilingAction.JOIN))
    text = F.text & ~F.text.startswith("/")
    typed = router.message.register
    typed(category_typed, StateFilter(Filing.category), text)
    typed(place_typed, StateFilter(Filing.place), text)
    typed(location_typed, StateFilter(Filing.location), text)
    typed(description_typed, StateFilter(Filing.description), text)
    typed(photo_received, StateFilter(Filing.description, Filing.photos), F.photo)
    typed(reprompt, StateFilter(Filing))
    return router
