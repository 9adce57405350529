"""Text outside any conversation: a unit code, or a problem to offer filing."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.filters import StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import gettext as _
from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import Clock
from bot.presentation.buttons.residents import NO_THANKS, OfferChoice
from bot.presentation.residents import filing as texts
from bot.presentation.residents.keyboards import main_menu
from bot.services import unit_codes
from bot.services.context import Context
from bot.services.errors import StaleButton
from bot.services.intake import offers
from handlers.resident import binding
from handlers.resident.common import done_with_buttons, resident_for
from handlers.resident.filing import begin_filing
from handlers.resident.registered import Turn
from handlers.resident.states import FreeText
from storage.models import Person


async def text_outside_flows(
    message: Message, state: FSMContext, session: AsyncSession, ctx: Context, clock: Clock
) -> None:
    text = message.text or ""
    if unit_codes.looks_like_code(text):
        await binding.redeem_code(message, session, ctx.org, clock, text)
        return
    person = await resident_for(message, session, ctx.org)
    offer = await offers.offer_for(session, ctx.org, person, text)
    if offer is None:
        await message.answer(
            _("Choose what you need from the menu below, or describe your problem in a sentence."),
            reply_markup=main_menu(),
        )
        return
    flow = message.message_id
    await state.set_state(FreeText.offer)
    await state.set_data({"flow": flow, "text": offer.description, "category": offer.category_key})
    reply = texts.offer(flow, offer, ctx.org)
    await message.answer(reply.text, reply_markup=reply.markup)


async def offer_answered(callback: CallbackQuery, callback_data: OfferChoice, turn: Turn) -> None:
    data = await turn.state.get_data()
    if data.get("flow") != callback_data.flow:
        raise StaleButton()
    message = await done_with_buttons(callback)
    if callback_data.kind == NO_THANKS:
        await turn.state.clear()
        await message.answer(_("All right."), reply_markup=main_menu())
        return
    kind = callback_data.kind
    category = offers.category_for_kind(turn.ctx.org, data.get("category"), kind)
    await begin_filing(
        message, turn, kind, callback_data.flow, description=data.get("text"), category_key=category
    )


async def photo_outside_flows(message: Message, person: Person) -> None:
    await message.answer(
        _(
            "Photos go with a request: choose what you need from the menu below, "
            "and send the photo when I ask for it."
        ),
        reply_markup=main_menu(),
    )


async def offer_pending(message: Message) -> None:
    await message.answer(_("Please answer with the buttons above, or send /cancel."))


def build_router() -> Router:
    router = Router(name="resident.free_text")
    router.callback_query.register(
        offer_answered, StateFilter(FreeText.offer), OfferChoice.filter()
    )
    router.message.register(
        text_outside_flows, StateFilter(None, FreeText.offer), F.text, ~F.text.startswith("/")
    )
    router.message.register(photo_outside_flows, StateFilter(None), F.photo)
    router.message.register(offer_pending, StateFilter(FreeText.offer))
    return router
