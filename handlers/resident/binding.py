"""Binding a resident to a unit: a one-time code, or project → building → unit for approval."""

from __future__ import annotations

import contextlib
import html
from typing import NoReturn

from aiogram import F, Router
from aiogram.exceptions import TelegramBadRequest
from aiogram.filters import StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message
from aiogram.utils.i18n import get_i18n
from aiogram.utils.i18n import gettext as _
from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import Clock
from bot.config.orgfile import Organisation
from bot.i18n import N_
from bot.presentation.buttons.binding import BindChoice, BindStep
from bot.presentation.residents.keyboards import in_rows, inline
from bot.presentation.texts import building_label, project_label
from bot.services import resident_units, unit_codes
from bot.services.context import Context
from bot.services.errors import Refused
from bot.services.registration import registered_resident
from bot.services.unit_binding import BindingError, request_binding
from handlers.middlewares.refusals import refusal_text
from handlers.resident.common import clear_buttons, replace_text
from handlers.resident.registered import Turn
from handlers.resident.states import Binding

MAX_UNIT_BUTTONS = 40


async def offer_binding(message: Message) -> None:
    await message.answer(
        _(
            "Now tell me which unit (apartment or shop) is yours. With a unit code from "
            "the property office it takes a second; otherwise choose your unit and the "
            "office will confirm it."
        ),
        reply_markup=inline(
            [
                [(_("🔑 I have a unit code"), BindChoice(what=BindStep.CODE).pack())],
                [(_("🏠 Choose my unit"), BindChoice(what=BindStep.PICK).pack())],
                [(_("Later"), BindChoice(what=BindStep.LATER).pack())],
            ]
        ),
    )


async def redeem_code(
    message: Message,
    session: AsyncSession,
    organisation: Organisation,
    clock: Clock,
    code: str,
) -> bool:
    """Try a unit code for the sender of ``message``."""
    assert message.from_user is not None
    person = await registered_resident(
        session, message.from_user.id, organisation.residents.privacy_notice_version
    )
    if person is None:
        await message.answer(_("Please register first: send /start."))
        return False
    try:
        label = await unit_codes.redeem(
            session, message.from_user.id, person.id, code, clock.now(), organisation.residents
        )
    except unit_codes.CodeRefused as error:
        await message.answer(refusal_text(error))
        return False
    await message.answer(
        _("✅ You are now registered for {unit}. You can file requests for it.").format(
            unit=html.escape(label.named_for(organisation, get_i18n().current_locale).full)
        )
    )
    return True


async def choose_method(callback: CallbackQuery, callback_data: BindChoice, turn: Turn) -> None:
    """How to bind; only a registered resident gets this far (``turn``: anyone else is told
    to register)."""
    assert isinstance(callback.message, Message)
    state = turn.state
    await callback.answer()
    if callback_data.what is BindStep.CODE:
        await state.set_state(Binding.code)
        await callback.message.answer(
            _("Please type the unit code from the property office (it looks like ABCD-EFGH-JKMN).")
        )
    elif callback_data.what is BindStep.PICK:
        await state.clear()
        text, markup = await _projects(turn)
        await callback.message.answer(text, reply_markup=markup)
    else:
        await state.clear()
        await callback.message.answer(
            _("All right. You can add a unit any time from your profile (/profile).")
        )


async def code_typed(
    message: Message,
    state: FSMContext,
    session: AsyncSession,
    organisation: Organisation,
    clock: Clock,
) -> None:
    assert message.text is not None
    if await redeem_code(message, session, organisation, clock, message.text):
        await state.clear()


async def _projects(turn: Turn) -> tuple[str, InlineKeyboardMarkup]:
    """The first step of choosing a unit: which property."""
    projects = await resident_units.active_projects(turn.session)
    buttons = [
        (
            project_label(turn.ctx.org, turn.locale, p.key, p.name),
            BindChoice(what=BindStep.PROJECT, id=p.id).pack(),
        )
        for p in projects
    ]
    return _("Which property do you live or work in?"), inline(in_rows(buttons, 2))


def _back(step: BindStep, to: int = 0) -> list[tuple[str, str]]:
    """The « Back row under a step: the step before it, drawn in place."""
    return [(_("« Back"), BindChoice(what=step, id=to).pack())]


class NoLongerValid(Refused):
    """A project or building that has nothing to choose from any more."""

    code = "stale_choice"
    default_reason = N_("This button is no longer valid.")
    audited = False


async def place_chosen(callback: CallbackQuery, callback_data: BindChoice, turn: Turn) -> None:
    """A project, building or unit button; only a registered resident gets this far."""
    assert isinstance(callback.message, Message)
    message, chosen = callback.message, callback_data.id
    if callback_data.what in (BindStep.PROJECTS, BindStep.PROJECT):
        if await turn.state.get_state() == Binding.unit_number:
            await turn.state.clear()  # « Back from the units: a typed number means nothing now
    if callback_data.what is BindStep.PROJECTS:
        await callback.answer()
        text, markup = await _projects(turn)
        await replace_text(message, text, reply_markup=markup)
    elif callback_data.what is BindStep.PROJECT:
        await _offer_buildings(callback, message, turn.session, turn.ctx.org, chosen)
    elif callback_data.what is BindStep.BUILDING:
        await _offer_units(callback, message, turn.state, turn.session, chosen)
    else:
        await callback.answer()
        await clear_buttons(message)
        label = await _request(
            message, turn.state, turn.session, turn.ctx, callback.from_user.id, chosen
        )
        if label is not None:  # the question shows its answer, not a question left hanging
            with contextlib.suppress(TelegramBadRequest):
                await message.edit_text(_("🏠 Chosen: {unit}").format(unit=html.escape(label)))


async def _offer_buildings(
    callback: CallbackQuery,
    message: Message,
    session: AsyncSession,
    org: Organisation,
    project_id: int,
) -> None:
    buildings = await resident_units.buildings_of(session, project_id) or _stale()
    await callback.answer()
    locale = get_i18n().current_locale
    buttons = [
        (
            building_label(org, locale, b.project_key, b.key, b.name),
            BindChoice(what=BindStep.BUILDING, id=b.id).pack(),
        )
        for b in buildings
    ]
    rows = [*in_rows(buttons, 3), _back(BindStep.PROJECTS)]
    await replace_text(message, _("Which building?"), reply_markup=inline(rows))


async def _offer_units(
    callback: CallbackQuery,
    message: Message,
    state: FSMContext,
    session: AsyncSession,
    building_id: int,
) -> None:
    units = await resident_units.units_in(session, building_id) or _stale()
    project_id = await resident_units.project_of_building(session, building_id) or _stale()
    await callback.answer()
    await state.set_state(Binding.unit_number)
    await state.set_data({"building_id": building_id})
    back = _back(BindStep.PROJECT, project_id)
    if len(units) > MAX_UNIT_BUTTONS:
        text = _("Please type your unit number, for example 1203.")
        await replace_text(message, text, reply_markup=inline([back]))
        return
    buttons = [(u.name, BindChoice(what=BindStep.UNIT, id=u.id).pack()) for u in units]
    await replace_text(
        message,
        _("Which unit? (You can also type its number.)"),
        reply_markup=inline([*in_rows(buttons, 4), back]),
    )


def _stale() -> NoReturn:
    raise NoLongerValid


async def _request(
    message: Message,
    state: FSMContext,
    session: AsyncSession,
    ctx: Context,
    telegram_id: int,
    unit_id: int,
) -> str | None:
    """Ask the project's staff to confirm the unit; a refusal is answered in the chat
    (also after a button press, whose buttons are gone by then). The unit's name as the
    resident reads it when asked; None when refused."""
    person = await registered_resident(
        session, telegram_id, ctx.org.residents.privacy_notice_version
    )
    if person is None:
        await state.clear()
        await message.answer(_("Please register first: send /start."))
        return None
    try:
        label = await request_binding(session, ctx, person, unit_id)
    except BindingError as error:
        await message.answer(refusal_text(error))
        return None
    await state.clear()
    name = label.named_for(ctx.org, get_i18n().current_locale).full
    await message.answer(
        _(
            "Your request for {unit} was sent to the property office. I will tell you "
            "as soon as they confirm it."
        ).format(unit=html.escape(name))
    )
    return name


async def unit_number_typed(
    message: Message, state: FSMContext, session: AsyncSession, ctx: Context
) -> None:
    assert message.text is not None and message.from_user is not None
    building_id = (await state.get_data()).get("building_id")
    unit = await resident_units.find_unit(session, int(building_id or 0), message.text)
    if unit is None:
        await message.answer(
            _("There is no unit with this number in this building. Please check it.")
        )
        return
    await _request(message, state, session, ctx, message.from_user.id, unit.id)


def build_router() -> Router:
    router = Router(name="resident.binding")  # inside the residents' private-chat router
    press = router.callback_query.register
    press(
        choose_method, BindChoice.filter(F.what.in_({BindStep.CODE, BindStep.PICK, BindStep.LATER}))
    )
    places = {BindStep.PROJECTS, BindStep.PROJECT, BindStep.BUILDING, BindStep.UNIT}
    press(place_chosen, BindChoice.filter(F.what.in_(places)))
    router.message.register(code_typed, StateFilter(Binding.code), F.text, ~F.text.startswith("/"))
    router.message.register(
        unit_number_typed, StateFilter(Binding.unit_number), F.text, ~F.text.startswith("/")
    )
    return router
