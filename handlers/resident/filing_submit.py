"""The end of a filing: the summary's buttons, duplicates offered, the ticket filed."""

from __future__ import annotations

import html

from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import gettext as _
from sqlalchemy.ext.asyncio import AsyncSession

from bot.app.context import Context
from bot.clock import Clock
from bot.config.orgfile import Organisation
from bot.services.intake import filing
from bot.services.intake.filing import FilingRefused
from bot.services.notifications.texts import local_time
from bot.services.resident_tickets import project_zone
from bot.services.tickets.lifecycle import StaleAction
from handlers.resident.callbacks import FilingChoice
from handlers.resident.common import refusal, set_buttons
from handlers.resident.filing_flow import (
    Flow,
    advance,
    done_with_buttons,
    edit_keyboard,
    flow_for,
    forget,
    kind_label,
    summary_keyboard,
)
from handlers.resident.keyboards import inline, main_menu
from handlers.resident.states import Filing
from storage.models import Person, Ticket


async def summary_action(
    callback: CallbackQuery,
    callback_data: FilingChoice,
    state: FSMContext,
    session: AsyncSession,
    organisation: Organisation,
    clock: Clock,
) -> None:
    found = await flow_for(callback, callback_data, state, session, organisation)
    if found is None:
        return
    flow, person = found
    assert isinstance(callback.message, Message)
    what = callback_data.what
    if what == "edit":
        await callback.answer()
        await set_buttons(callback.message, edit_keyboard(flow, organisation))
    elif what == "back":
        await callback.answer()
        await set_buttons(callback.message, summary_keyboard(flow))
    elif what == "field":
        forget(flow.draft, callback_data.value)
        flow.duplicates_seen = False
        message = await done_with_buttons(callback)
        await advance(message, state, session, organisation, person, flow)
    elif what == "cancel":
        await done_with_buttons(callback)
        await state.clear()
        await callback.message.answer(_("Cancelled."), reply_markup=main_menu())
    else:
        await _submit(callback, state, session, organisation, clock, person, flow)


async def _submit(
    callback: CallbackQuery,
    state: FSMContext,
    session: AsyncSession,
    organisation: Organisation,
    clock: Clock,
    person: Person,
    flow: Flow,
) -> None:
    assert isinstance(callback.message, Message)
    if not flow.duplicates_seen:
        duplicates = await filing.find_duplicates(session, organisation, person.id, flow.draft)
        if duplicates:
            flow.duplicates_seen = True
            await flow.save(state)
            await state.set_state(Filing.duplicates)
            message = await done_with_buttons(callback)
            lines = [
                _("• <b>{number}</b> “{text}” ({count} affected)").format(
                    number=d.number, text=html.escape(d.snippet), count=d.affected
                )
                for d in duplicates
            ]
            buttons = [
                [(_("Join {number}").format(number=d.number), flow.button("join", d.ticket_id))]
                for d in duplicates
            ]
            buttons.append([(_("📝 File a new one"), flow.button("new"))])
            await message.answer(
                _("Neighbours have already reported something similar:")
                + "\n"
                + "\n".join(lines)
                + "\n\n"
                + _("Join one of them (you will get every update), or file a new one."),
                reply_markup=inline(buttons),
            )
            return
    try:
        ticket = await filing.submit(
            session, Context(organisation, clock.now()), person, flow.draft
        )
    except FilingRefused as error:
        await callback.answer(refusal(error), show_alert=True)
        return
    message = await done_with_buttons(callback)
    await state.clear()
    await message.answer(await filed_text(session, organisation, ticket), reply_markup=main_menu())


async def filed_text(session: AsyncSession, organisation: Organisation, ticket: Ticket) -> str:
    zone = await project_zone(session, organisation, ticket.project_id)
    return _(
        "✅ Thank you! Your {kind} is filed as <b>{number}</b>.\n"
        "We will respond by {respond_by} and aim to resolve it by {resolve_by} ({zone} time).\n"
        "I will message you here whenever it changes; see it any time in “My tickets”."
    ).format(
        kind=kind_label(ticket.kind.value).lower(),
        number=ticket.number,
        respond_by=local_time(ticket.first_response_due_at, zone),
        resolve_by=local_time(ticket.resolution_due_at, zone),
        zone=zone.key,
    )


async def duplicate_action(
    callback: CallbackQuery,
    callback_data: FilingChoice,
    state: FSMContext,
    session: AsyncSession,
    organisation: Organisation,
    clock: Clock,
) -> None:
    found = await flow_for(callback, callback_data, state, session, organisation)
    if found is None:
        return
    flow, person = found
    if callback_data.what == "new":
        await _submit(callback, state, session, organisation, clock, person, flow)
        return
    ctx = Context(organisation, clock.now())
    try:
        ticket = await filing.join_duplicate(
            session, ctx, person, flow.draft, int(callback_data.value or 0)
        )
    except (FilingRefused, StaleAction) as error:
        await callback.answer(refusal(error), show_alert=True)
        return
    message = await done_with_buttons(callback)
    await state.clear()
    await message.answer(
        _(
            "You joined <b>{number}</b> ({count} residents affected). I will message you "
            "at every change, and it is in “My tickets”."
        ).format(number=ticket.number, count=ticket.affected_count),
        reply_markup=main_menu(),
    )
