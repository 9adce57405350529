"""Answers before a ticket: an active outage or incident notice shown to a resident who
reports its category (OK / Still a problem → file anyway), a FAQ answer to a question
(This answered it / I still need help), and /faq. Filing after all is in
``self_service_filing.py``."""

from __future__ import annotations

from typing import Any

from aiogram import F, Router
from aiogram.filters import Command, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import get_i18n
from aiogram.utils.i18n import gettext as _
from sqlalchemy.ext.asyncio import AsyncSession

from bot.presentation import announcements as texts
from bot.presentation.buttons.announcements import FaqShow, SelfServiceAction, SelfServiceChoice
from bot.presentation.outbound.announcements import notice_for_reader
from bot.presentation.residents.keyboards import main_menu
from bot.services import faq
from bot.services.announcements import deflection
from bot.services.context import Context
from bot.services.errors import StaleButton
from bot.services.intake.conversation import Flow
from bot.services.intake.offers import Offer
from bot.services.resident_units import units_of
from handlers.resident.common import answered_with_button, done_with_buttons
from handlers.resident.registered import Turn
from handlers.resident.states import SelfService
from storage.models import Person, TicketKind

ORIGIN_FREE_TEXT, ORIGIN_FILING = "free", "filing"


async def _project_of(session: AsyncSession, person: Person) -> int | None:
    units = await units_of(session, person.id)
    return units[0].project_id if units else None


async def answered_before_offer(
    message: Message,
    state: FSMContext,
    session: AsyncSession,
    ctx: Context,
    person: Person,
    offer: Offer | None,
    text: str,
    photos: list[list[str | None]],
) -> bool:
    """Show an active notice about the reported problem, or the FAQ answer to the
    question, instead of offering to file; True if one was shown."""
    locale = get_i18n().current_locale
    category = offer.category_key if offer is not None else None
    if category is not None:
        active = await deflection.active_notice_for(session, ctx, person.id, category)
        if active is not None:
            body = await notice_for_reader(session, ctx, active.announcement_id, locale)
            reply = texts.active_notice(body, active.event_id, locale)
            await _wait(state, active.event_id, message, text, photos)
            await message.answer(reply.text, reply_markup=reply.markup)
            return True
    found = faq.answer_before_filing(ctx.org, text, category)
    if found is None:
        return False
    project_id = await _project_of(session, person)
    event_id = await deflection.faq_shown(session, ctx, person.id, project_id, found.entry.key)
    reply = texts.faq_answer(found.entry, event_id, locale)
    await _wait(state, event_id, message, text, photos)
    await message.answer(reply.text, reply_markup=reply.markup)
    return True


async def notice_answers_category(callback: CallbackQuery, turn: Turn, flow: Flow) -> bool:
    """In a filing, the chosen category has an active notice for the resident's building:
    shown instead of the next question; True if so (the filing waits in the state)."""
    active = await deflection.active_notice_for(
        turn.session, turn.ctx, turn.person.id, flow.draft.category_key
    )
    if active is None:
        return False
    locale = get_i18n().current_locale
    body = await notice_for_reader(turn.session, turn.ctx, active.announcement_id, locale)
    reply = texts.active_notice(body, active.event_id, locale)
    await turn.state.set_state(SelfService.shown)
    await turn.state.set_data(
        {**flow.to_data(), "self_service": active.event_id, "origin": ORIGIN_FILING}
    )
    message = await done_with_buttons(callback)
    await message.answer(reply.text, reply_markup=reply.markup)
    return True


async def faq_answers_question(message: Message, turn: Turn, flow: Flow) -> bool:
    """In a question's filing ("Ask a question"), a description the FAQ answers: the
    answer is shown first, the filing waits in the state (I still need help goes on with
    it); True if so."""
    draft = flow.draft
    if draft.kind != TicketKind.INQUIRY or not draft.description:
        return False
    found = faq.match(turn.ctx.org, draft.description)
    if found is None:
        return False
    project_id = draft.project_id or await _project_of(turn.session, turn.person)
    event_id = await deflection.faq_shown(
        turn.session, turn.ctx, turn.person.id, project_id, found.entry.key
    )
    reply = texts.faq_answer(found.entry, event_id, get_i18n().current_locale)
    await turn.state.set_state(SelfService.shown)
    await turn.state.set_data({**flow.to_data(), "self_service": event_id, "origin": ORIGIN_FILING})
    await message.answer(reply.text, reply_markup=reply.markup)
    return True


async def _wait(
    state: FSMContext,
    event_id: int,
    message: Message,
    text: str,
    photos: list[list[str | None]],
) -> None:
    """The resident's words and photos wait with the answer shown (the rest of an album
    joins them: ``free_text.photo_outside_flows``)."""
    await state.set_state(SelfService.shown)
    await state.set_data(
        {"self_service": event_id, "origin": ORIGIN_FREE_TEXT, "text": text, "photos": photos,
         "album": message.media_group_id}
    )  # fmt: skip


async def shown_event(turn: Turn, pressed: SelfServiceChoice) -> dict[str, Any]:
    """The conversation state of the answer pressed (another one's buttons are stale)."""
    data = await turn.state.get_data()
    if data.get("self_service") != pressed.event_id:
        raise StaleButton()
    return data


async def settled_without_ticket(
    callback: CallbackQuery, callback_data: SelfServiceChoice, turn: Turn
) -> None:
    """OK (the notice covers it) or This answered it (the FAQ did)."""
    await shown_event(turn, callback_data)
    outcome = deflection.OK if callback_data.action == SelfServiceAction.OK else deflection.ANSWERED
    await deflection.decide(turn.session, turn.ctx, turn.person.id, callback_data.event_id, outcome)
    await turn.state.clear()
    message = await answered_with_button(callback)
    if outcome == deflection.OK:
        answer = _("👌 Thank you. The notice will tell you when it is over; nothing was filed.")
    else:
        answer = _("😊 Glad it helped.")
    await message.answer(answer, reply_markup=main_menu())


async def list_faq(message: Message, ctx: Context) -> None:
    """/faq: the questions as buttons."""
    reply = texts.faq_menu(list(ctx.org.faq), get_i18n().current_locale)
    await message.answer(reply.text, reply_markup=reply.markup)


async def faq_tapped(callback: CallbackQuery, callback_data: FaqShow, ctx: Context) -> None:
    """A question of /faq tapped: its answer (the list stays, for the next one)."""
    entry = faq.entry(ctx.org, callback_data.key)
    if entry is None:  # no longer in the organisation file
        raise StaleButton()
    await callback.answer()
    assert isinstance(callback.message, Message)
    await callback.message.answer(texts.faq_text(entry, get_i18n().current_locale))


def build_router() -> Router:
    router = Router(name="resident.self_service")
    router.message.register(list_faq, Command("faq"))
    router.callback_query.register(faq_tapped, FaqShow.filter())
    router.callback_query.register(
        settled_without_ticket,
        StateFilter(SelfService.shown),
        SelfServiceChoice.filter(F.action.in_({SelfServiceAction.OK, SelfServiceAction.ANSWERED})),
    )
    return router
