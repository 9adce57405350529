"""Text and photos outside any conversation: an answer to a ticket (a Telegram reply to the
bot's message about it, or while it waits for the resident), a unit code, or a problem to
offer filing (bot/services/ticket_talk.py decides which)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

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
    NEW_REQUEST,
    NO_THANKS,
    OTHER_KIND,
    OfferChoice,
    TicketChosen,
)
from bot.presentation.residents import filing as texts
from bot.presentation.residents import tickets as tickets_texts
from bot.presentation.residents.keyboards import main_menu
from bot.services import faq, resident_tickets, ticket_talk, unit_codes
from bot.services.context import Context
from bot.services.errors import StaleButton
from bot.services.intake import emergency, offers, quick, small_talk
from bot.services.intake.drafts import clean_description
from bot.services.people import Actor
from bot.services.tickets import lifecycle
from bot.services.tickets.lifecycle import Photo
from bot.services.tickets.numbering import typed_number
from handlers.resident import binding, self_service
from handlers.resident.common import answered_with_button, photo_of, resident_for, set_buttons
from handlers.resident.filing import begin_filing
from handlers.resident.registered import Turn
from handlers.resident.states import FreeText, SelfService
from storage.models import Person

PHOTO = "📷"  # the words of a comment that is photos alone


def _replied_to_bot(message: Message) -> ticket_talk.BotMessage | None:
    """The bot's message this one is a Telegram reply to, if any."""
    replied = message.reply_to_message
    if replied is None or replied.from_user is None or not replied.from_user.is_bot:
        return None
    return ticket_talk.BotMessage(replied.message_id, replied.text or replied.caption or "")


async def text_outside_flows(
    message: Message,
    state: FSMContext,
    session: AsyncSession,
    ctx: Context,
    clock: Clock,
    actor: Actor,
) -> None:
    text = message.text or ""
    if unit_codes.looks_like_code(text) and _replied_to_bot(message) is None:
        await binding.redeem_code(message, session, ctx.org, clock, text)
        return
    number = typed_number(text, ctx.org.ticket_prefixes())
    if number is not None and _replied_to_bot(message) is None:
        await _show_typed_ticket(message, session, ctx, actor, number)
        return
    await route_message(message, state, session, ctx, actor, text, photos=[])


async def _show_typed_ticket(
    message: Message, session: AsyncSession, ctx: Context, actor: Actor, number: str
) -> None:
    """A ticket number alone: that ticket, as “My tickets” shows it, if it is theirs."""
    view = await resident_tickets.typed_ticket_view(
        session, ctx.org, actor, number, get_i18n().current_locale
    )
    if view is None:
        await message.answer(
            _("I cannot find {number} among your tickets; “My tickets” lists them all.").format(
                number=number
            ),
            reply_markup=main_menu(),
        )
        return
    reply = tickets_texts.detail(view, ctx.org)
    await message.answer(reply.text, reply_markup=reply.markup)


async def photo_outside_flows(
    message: Message, state: FSMContext, session: AsyncSession, ctx: Context, actor: Actor
) -> None:
    """A photo goes where words would: to the ticket it answers, or, with words, to an offer.
    The rest of its album joins it."""
    photo = photo_of(message)
    assert photo is not None
    data = await state.get_data()
    album = message.media_group_id
    if album is not None and data.get("album") == album:
        await _album_photo(message, state, session, ctx, actor, data, list(photo))
        return
    caption = (message.caption or "").strip()
    if not caption:
        person = await resident_for(message, session, ctx.org)
        routing = await ticket_talk.route(
            session, person.id, message.chat.id, _replied_to_bot(message)
        )
        if routing.answer_to is not None:
            await _add_to(message, state, session, ctx, actor, routing.answer_to, PHOTO, [photo])
        elif routing.ask_which:  # most likely for one of them: held while the resident says
            await _ask_which(message, state, ctx, routing, PHOTO, [list(photo)])
        else:
            await _photos_need_words(message)
        return
    await route_message(message, state, session, ctx, actor, caption, photos=[list(photo)])


async def _photos_need_words(message: Message) -> None:
    await message.answer(
        _(
            "Photos go with a request: write what the problem is with the photo, "
            "or choose what you need from the menu below."
        ),
        reply_markup=main_menu(),
    )


async def _album_photo(
    message: Message,
    state: FSMContext,
    session: AsyncSession,
    ctx: Context,
    actor: Actor,
    data: dict[str, Any],
    photo: list[str | None],
) -> None:
    """Another photo of an album: with the offer it belongs to, or to the ticket it went to."""
    if data.get("added_to"):
        await lifecycle.add_resident_comment(
            session, ctx, int(data["added_to"]), actor, PHOTO, [Photo(str(photo[0]), photo[1])]
        )
        return
    data["photos"] = [*data.get("photos", []), photo][: ctx.org.residents.max_photos]
    await state.set_data(data)


async def route_message(
    message: Message,
    state: FSMContext,
    session: AsyncSession,
    ctx: Context,
    actor: Actor,
    text: str,
    photos: list[list[str | None]],
) -> None:
    """To the ticket it answers, to the question "which ticket?", or to the offer to file it."""
    person = await resident_for(message, session, ctx.org)
    routing = await ticket_talk.route(session, person.id, message.chat.id, _replied_to_bot(message))
    if routing.answer_to is not None:
        await _add_to(message, state, session, ctx, actor, routing.answer_to, text, photos)
        return
    # "How are my requests getting on?" (not a question the FAQ answers: "when will the
    # pool open?"; a danger gets the hotline first).
    news = routing.asks_for_news(text, bool(photos)) and not faq.answers_at_once(ctx.org, text)
    if news and not await _danger(session, ctx, person, text, routing):
        await _ask_which(message, state, ctx, routing, text, photos, news=True)
        return
    if routing.ask_which and not routing.asks_which(text, bool(photos)):
        await offer_filing(message, state, session, ctx, text, photos, person=person)
        return
    if routing.ask_which and _faq_question(ctx, routing, text):
        also = routing.ask_which  # no answer after all (a danger): the offer, tickets beside
        await offer_filing(message, state, session, ctx, text, photos, also=also, person=person)
        return
    if routing.ask_which and not await _danger(session, ctx, person, text, routing):
        await _ask_which(message, state, ctx, routing, text, photos)
        return
    also = routing.also_offer or routing.ask_which
    await offer_filing(message, state, session, ctx, text, photos, also=also, person=person)


def _faq_question(ctx: Context, routing: ticket_talk.Routing, text: str) -> bool:
    """A question the FAQ answers ("where can I park?"), while the office is not waiting
    for the resident's answer: answered at once, not asked "which ticket?" first."""
    return not routing.asked_for_waiting and faq.answers_at_once(ctx.org, text)


async def _ask_which(
    message: Message,
    state: FSMContext,
    ctx: Context,
    routing: ticket_talk.Routing,
    text: str,
    photos: list[list[str | None]],
    *,
    news: bool = False,
) -> None:
    """Several open tickets: which one is this about, or is it new? The words and photos
    (the rest of an album too) are held for the answer. ``news``: the resident asked how
    their tickets are getting on: where each stands comes first."""
    flow = message.message_id
    await state.set_state(FreeText.which)
    await state.set_data(
        {"flow": flow, "text": text, "photos": photos, "album": message.media_group_id}
    )
    if news:
        reply = texts.ticket_news(ctx.org, flow, routing.ask_which or routing.also_offer, ctx.now)
    else:
        reply = texts.which_ticket(
            ctx.org, flow, routing.ask_which, waiting=routing.asked_for_waiting
        )
    await message.answer(reply.text, reply_markup=reply.markup)


async def _danger(
    session: AsyncSession, ctx: Context, person: Person, text: str, routing: ticket_talk.Routing
) -> bool:
    """Open tickets, none waiting, and the words are a danger: the hotline comes first, not
    "which ticket?" (with several waiting, the resident is answering the office)."""
    if routing.asked_for_waiting:
        return False
    offer = await offers.offer_for(session, ctx.org, person, text)
    return offer is not None and emergency.is_emergency(
        ctx.org, offer.category_key, offer.description
    )


async def _add_to(
    message: Message,
    state: FSMContext,
    session: AsyncSession,
    ctx: Context,
    actor: Actor,
    ticket: ticket_talk.OpenTicket,
    text: str,
    photos: Sequence[Sequence[str | None]],
) -> None:
    """The words (and photos) are a comment on ``ticket``: added, and the resident told."""
    words = clean_description(text, ctx.org.residents) if text != PHOTO else text
    attached = [Photo(str(p[0]), p[1]) for p in photos]
    await lifecycle.add_resident_comment(session, ctx, ticket.id, actor, words, attached)
    await state.clear()
    if message.media_group_id is not None:  # the album's other photos follow it there
        await state.set_data({"album": message.media_group_id, "added_to": ticket.id})
    await message.answer(texts.added_to(ticket.number, len(attached)), reply_markup=main_menu())


async def offer_filing(
    message: Message,
    state: FSMContext,
    session: AsyncSession,
    ctx: Context,
    text: str,
    photos: list[list[str | None]],
    also: list[ticket_talk.OpenTicket] | None = None,
    *,
    answered: bool = False,
    person: Person | None = None,
) -> None:
    """Offer to file the message: the hotline first for a danger, then one proposal or the
    kinds (with the resident's open tickets as where to add it instead). Unless already
    ``answered``, an active notice about the problem or a FAQ answer comes first.
    ``person``: the resident if already loaded (needed when ``message`` is the bot's own:
    a button was pressed)."""
    person = person or await resident_for(message, session, ctx.org)
    offer = await offers.offer_for(session, ctx.org, person, text)
    if not answered and await self_service.answered_before_offer(
        message, state, session, ctx, person, offer, text, photos
    ):
        return
    if offer is None:
        await message.answer(
            texts.menu_hint(small_talk.pleasantry_kind(text)), reply_markup=main_menu()
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
    reply = texts.offer(flow, offer, ctx.org, proposal, also)
    await message.answer(reply.text, reply_markup=reply.markup)


async def ticket_chosen(callback: CallbackQuery, callback_data: TicketChosen, turn: Turn) -> None:
    """ "Which ticket?" (or an offer's "Add to …") answered: there, or as a new request."""
    data = await turn.state.get_data()
    if data.get("flow") != callback_data.flow:
        raise StaleButton()
    message = await answered_with_button(callback)
    photos = data.get("photos") or []
    if callback_data.ticket_id == NEW_REQUEST:
        await turn.state.clear()
        if data["text"] == PHOTO:  # photos alone say too little to offer anything
            await _photos_need_words(message)
            return
        await offer_filing(
            message, turn.state, turn.session, turn.ctx, data["text"], photos, person=turn.person
        )
        return
    tickets = await ticket_talk.open_tickets(turn.session, turn.person.id)
    chosen = next((t for t in tickets if t.id == callback_data.ticket_id), None)
    if chosen is None:
        raise StaleButton()
    await _add_to(
        message, turn.state, turn.session, turn.ctx, turn.actor, chosen, data["text"], photos
    )


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
    message = await answered_with_button(callback)
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
    router.callback_query.register(
        ticket_chosen, StateFilter(FreeText.offer, FreeText.which), TicketChosen.filter()
    )
    # New words or photos while an offer, a which-ticket question or a self-service answer
    # waits for a button: the resident's next message (the rest of an album joins the one
    # waiting). The buttons stay usable.
    router.message.register(
        text_outside_flows,
        StateFilter(None, FreeText.offer, FreeText.which, SelfService.shown),
        F.text,
        ~F.text.startswith("/"),
    )
    router.message.register(
        photo_outside_flows,
        StateFilter(None, FreeText.offer, FreeText.which, SelfService.shown),
        F.photo,
    )
    router.message.register(offer_pending, StateFilter(FreeText.offer, FreeText.which))
    return router
