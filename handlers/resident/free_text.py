"""Text outside any conversation: a unit code, or a problem to offer filing."""

from __future__ import annotations

import html

from aiogram import F, Router
from aiogram.filters import StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import gettext as _
from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import Clock
from bot.config.orgfile import Organisation
from bot.services import unit_codes
from bot.services.intake import categories
from bot.services.intake.drafts import DraftRefused, clean_description
from bot.services.intake.filing import KINDS_NEEDING_A_UNIT
from bot.services.intake.matching import cjk_text, latin_words
from bot.services.resident_units import units_of
from handlers.resident import binding
from handlers.resident.callbacks import OfferChoice
from handlers.resident.common import clear_buttons, refusal, resident_for
from handlers.resident.filing import begin_filing
from handlers.resident.filing_flow import category_label, kind_label
from handlers.resident.keyboards import in_rows, inline, main_menu
from handlers.resident.states import FreeText
from storage.models import TicketKind

KIND_ICONS = {"repair": "🔧", "complaint": "📣", "suggestion": "💡", "inquiry": "❓"}
MIN_WORDS, MIN_CJK = 3, 4  # shorter than this and no category: a greeting, not a problem


def _substantial(text: str) -> bool:
    return len(latin_words(text)) >= MIN_WORDS or len(cjk_text(text)) >= MIN_CJK


async def text_outside_flows(
    message: Message,
    state: FSMContext,
    session: AsyncSession,
    organisation: Organisation,
    clock: Clock,
) -> None:
    text = message.text or ""
    if unit_codes.looks_like_code(text):
        await binding.redeem_code(message, session, organisation, clock, text)
        return
    person = await resident_for(message, session, organisation)
    if person is None:
        return
    try:
        description = clean_description(text, organisation.residents)
    except DraftRefused as error:
        await message.answer(refusal(error))
        return
    guesses = categories.guess(organisation, description)
    if not guesses and not _substantial(description):
        await message.answer(
            _("Choose what you need from the menu below, or describe your problem in a sentence."),
            reply_markup=main_menu(),
        )
        return
    category = guesses[0].key if guesses else None
    has_unit = bool(await units_of(session, person.id))
    allowed = [
        kind
        for kind in ("repair", "complaint", "suggestion", "inquiry")
        if has_unit or TicketKind(kind) not in KINDS_NEEDING_A_UNIT
    ]
    kinds = [k for k in allowed if category is None or organisation.category(category).accepts(k)]
    if not kinds:  # the guessed category is not one this resident may file: ask without it
        category, kinds = None, allowed
    flow = message.message_id
    await state.set_state(FreeText.offer)
    await state.set_data({"flow": flow, "text": description, "category": category})
    buttons = [
        (f"{KIND_ICONS[k]} {kind_label(k)}", OfferChoice(flow=flow, kind=k).pack()) for k in kinds
    ]
    rows = [*in_rows(buttons, 2), [(_("No, thanks"), OfferChoice(flow=flow, kind="no").pack())]]
    if category is not None:
        about = _("It sounds like: {category}.").format(
            category=html.escape(category_label(organisation, category))
        )
    else:
        about = ""
    question = _("Shall I pass this on to the property office?\n“{text}”").format(
        text=html.escape(description)
    )
    if not has_unit:
        question += "\n" + _("(Register your unit in /profile to report repairs and complaints.)")
    await message.answer(f"{question}\n{about}".strip(), reply_markup=inline(rows))


async def offer_answered(
    callback: CallbackQuery,
    callback_data: OfferChoice,
    state: FSMContext,
    session: AsyncSession,
    organisation: Organisation,
    clock: Clock,
) -> None:
    data = await state.get_data()
    if data.get("flow") != callback_data.flow:
        await callback.answer(_("This button is no longer valid."), show_alert=True)
        return
    person = await resident_for(callback, session, organisation)
    if person is None or not isinstance(callback.message, Message):
        return
    await callback.answer()
    await clear_buttons(callback.message)
    if callback_data.kind == "no":
        await state.clear()
        await callback.message.answer(_("All right."), reply_markup=main_menu())
        return
    category = data.get("category")
    if category is not None and not organisation.category(category).accepts(callback_data.kind):
        category = None
    await begin_filing(
        callback.message,
        state,
        session,
        organisation,
        clock,
        person,
        callback_data.kind,
        callback_data.flow,
        description=data.get("text"),
        category_key=category,
    )


async def photo_outside_flows(
    message: Message, session: AsyncSession, organisation: Organisation
) -> None:
    if await resident_for(message, session, organisation) is None:
        return
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
    router.message.filter(F.chat.type == "private")
    router.callback_query.filter(F.message.chat.type == "private")
    router.callback_query.register(
        offer_answered, StateFilter(FreeText.offer), OfferChoice.filter()
    )
    router.message.register(
        text_outside_flows, StateFilter(None, FreeText.offer), F.text, ~F.text.startswith("/")
    )
    router.message.register(photo_outside_flows, StateFilter(None), F.photo)
    router.message.register(offer_pending, StateFilter(FreeText.offer))
    return router
