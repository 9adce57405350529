"""Text outside any conversation: a unit code, or a problem to offer filing."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.filters import StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import get_i18n
from aiogram.utils.i18n import gettext as _
from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import Clock
from bot.presentation.buttons.residents import (
    FILE_AS_PROPOSED,
    NO_THANKS,
    OTHER_KIND,
    OfferChoice,
)
from bot.presentation.residents import filing as texts
from bot.presentation.residents.keyboards import main_menu
from bot.services import unit_codes
from bot.services.context import Context
from bot.services.errors import StaleButton
from bot.services.intake import emergency, offers, quick
from handlers.resident import binding
from handlers.resident.common import done_with_buttons, photo_of, resident_for, set_buttons
from handlers.resident.filing import begin_filing
from handlers.resident.registered import Turn
from handlers.resident.states import FreeText


async def text_outside_flows(
    message: Message, state: FSMContext, session: AsyncSession, ctx: Context, clock: Clock
) -> None:
    text = message.text or ""
    if unit_codes.looks_like_code(text):
        await binding.redeem_code(message, session, ctx.org, clock, text)
        return
    await offer_filing(message, state, session, ctx, text, photos=[])


async def photo_outside_flows(
    message: Message, state: FSMContext, session: AsyncSession, ctx: Context
) -> None:
    """A photo with words is a report like a text; the rest of its album joins it."""
    photo = photo_of(message)
    assert photo is not None
    data = await state.get_data()
    album = message.media_group_id
    if album is not None and data.get("album") == album:
        data["photos"] = [*data.get("photos", []), list(photo)][: ctx.org.residents.max_photos]
        await state.set_data(data)
        return
    caption = (message.caption or "").strip()
    if not caption:
        await message.answer(
            _(
                "Photos go with a request: write what the problem is with the photo, "
                "or choose what you need from the menu below."
            ),
            reply_markup=main_menu(),
        )
        return
    await offer_filing(message, state, session, ctx, caption, photos=[list(photo)])


async def offer_filing(
    message: Message,
    state: FSMContext,
    session: AsyncSession,
    ctx: Context,
    text: str,
    photos: list[list[str | None]],
) -> None:
    """Offer to file the message: the hotline first for a danger, then one proposal or the kinds."""
    person = await resident_for(message, session, ctx.org)
    offer = await offers.offer_for(session, ctx.org, person, text)
    if offer is None:
        await message.answer(
            _("Choose what you need from the menu below, or describe your problem in a sentence."),
            reply_markup=main_menu(),
        )
        return
    if emergency.is_emergency(ctx.org, offer.category_key, offer.description):
        number = await emergency.hotline_for_resident(session, ctx.org, person.id)
        await message.answer(texts.hotline_alert(number))
    proposal = await quick.quick_offer(session, ctx.org, person, offer, get_i18n().current_locale)
    flow = message.message_id
    await state.set_state(FreeText.offer)
    await state.set_data(
        {
            "flow": flow,
            "text": offer.description,
            "category": offer.category_key,
            "photos": photos,
            "album": message.media_group_id,
            "proposal": proposal.to_data() if proposal else None,
        }
    )
    reply = texts.offer(flow, offer, ctx.org, proposal)
    await message.answer(reply.text, reply_markup=reply.markup)


async def offer_answered(callback: CallbackQuery, callback_data: OfferChoice, turn: Turn) -> None:
    data = await turn.state.get_data()
    if data.get("flow") != callback_data.flow:
        raise StaleButton()
    if callback_data.kind == OTHER_KIND:
        await callback.answer()
        offer = await offers.offer_for(turn.session, turn.ctx.org, turn.person, data["text"])
        if offer is None:
            raise StaleButton()
        assert isinstance(callback.message, Message)
        await set_buttons(callback.message, texts.offer_kinds(callback_data.flow, offer))
        return
    message = await done_with_buttons(callback)
    if callback_data.kind == NO_THANKS:
        await turn.state.clear()
        await message.answer(_("All right."), reply_markup=main_menu())
        return
    photos = data.get("photos") or []
    shown = emergency.is_emergency(turn.ctx.org, data.get("category"), data.get("text"))
    if callback_data.kind == FILE_AS_PROPOSED:
        if not data.get("proposal"):
            raise StaleButton()
        proposal = quick.QuickOffer.from_data(data["proposal"])
        draft = await quick.quick_draft(
            turn.session, turn.ctx.org, turn.person, proposal, data["text"], photos
        )
        await begin_filing(
            message, turn, proposal.kind, callback_data.flow, draft=draft, hotline_shown=shown
        )
        return
    kind = callback_data.kind
    category = offers.category_for_kind(turn.ctx.org, data.get("category"), kind)
    await begin_filing(
        message,
        turn,
        kind,
        callback_data.flow,
        description=data.get("text"),
        category_key=category,
        photos=photos,
        hotline_shown=shown,
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
    router.message.register(photo_outside_flows, StateFilter(None, FreeText.offer), F.photo)
    router.message.register(offer_pending, StateFilter(FreeText.offer))
    return router
