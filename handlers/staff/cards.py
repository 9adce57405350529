"""The buttons on a ticket card: Take, Reply, Resolve, Note, Reassign, Details.

Every press is re-checked on the server (``staff_desk.check_press``): a
resident, a stranger, staff of another project, a button about another
group's ticket, a forged or an outdated button are all refused with a short
alert and an audit line, and change nothing.
"""

from __future__ import annotations

import html

from aiogram import Bot, F, Router
from aiogram.exceptions import TelegramBadRequest, TelegramForbiddenError
from aiogram.fsm.context import FSMContext
from aiogram.types import (
    CallbackQuery,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    ReplyParameters,
)
from aiogram.utils.i18n import I18n
from aiogram.utils.i18n import gettext as _
from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import Clock
from bot.config.orgfile import Organisation
from bot.services import staff_desk
from bot.services.notifications.staff import render_card
from bot.services.people import Actor
from bot.services.staff_desk import REFUSABLE, ForgedButton
from handlers.callbacks import ReassignTarget, StaffTicketAction
from handlers.staff import compose
from handlers.staff.common import (
    bot_username,
    reading_locale,
    refuse_press,
    thread_of,
    where,
)
from handlers.staff.texts import render_details

CARD_ACTIONS = frozenset({"take", "reply", "resolve", "note", "reassign", "details", "open"})


async def press_card_button(
    callback: CallbackQuery,
    callback_data: StaffTicketAction,
    bot: Bot,
    session: AsyncSession,
    clock: Clock,
    organisation: Organisation,
    state: FSMContext,
    i18n: I18n,
    actor: Actor | None = None,
) -> None:
    action, ticket_id = callback_data.action, callback_data.ticket_id
    audit_action = f"ticket.{action}"
    if action not in CARD_ACTIONS or callback.message is None:
        await refuse_press(
            callback, session, clock, actor, "ticket.button", ForgedButton(), ticket_id=ticket_id
        )
        return
    place = await where(session, callback.message.chat)
    # Take compares versions itself, after "who has it": the loser of a race hears who won.
    # Opening a ticket from a list shows its current state, whatever the list showed.
    version = None if action in ("take", "open") else callback_data.version
    try:
        ticket = await staff_desk.check_press(session, actor, ticket_id, version, action, place)
        assert actor is not None
        if action == "take":
            ctx = staff_desk.context(organisation, clock.now())
            taken = await staff_desk.take(session, ctx, actor, ticket_id, callback_data.version)
            await callback.answer(_("You have taken {number}.").format(number=taken.number))
        elif action in ("reply", "note", "resolve"):
            await compose.start(callback, bot, state, ticket, action)
        elif action == "reassign":
            await _show_reassign_menu(callback, bot, session, ticket)
        elif action == "details":
            await _send_details(callback, bot, session, clock, organisation, i18n, actor, ticket)
        else:
            await _show_card(callback, bot, session, organisation, i18n, ticket)
    except REFUSABLE as error:
        await refuse_press(
            callback, session, clock, actor, audit_action, error, ticket_id=ticket_id
        )


async def _show_card(callback, bot, session, organisation, i18n, ticket) -> None:
    locale = reading_locale(callback.message.chat, i18n, organisation)
    text, markup = await render_card(session, organisation, ticket, locale)
    await bot.send_message(
        callback.message.chat.id,
        text,
        reply_markup=InlineKeyboardMarkup.model_validate(markup),
        message_thread_id=thread_of(callback.message),
    )
    await callback.answer()


async def _send_details(
    callback: CallbackQuery,
    bot: Bot,
    session: AsyncSession,
    clock: Clock,
    organisation: Organisation,
    i18n: I18n,
    actor: Actor,
    ticket,
) -> None:
    """History with notes, always in a private message: groups never see personal data."""
    private = callback.message.chat.type == "private"
    locale = i18n.current_locale
    info = await staff_desk.details(
        session, organisation, clock.now(), actor, ticket, locale, private=True
    )
    text = render_details(info, organisation, locale)
    try:
        await bot.send_message(callback.from_user.id, text)
    except (TelegramForbiddenError, TelegramBadRequest):
        # Never started a chat with us: Telegram won't let us write first.
        link = f"https://t.me/{await bot_username(bot)}"
        await callback.answer(
            _("Open a private chat with me first ({link}), then press Details again.").format(
                link=link
            ),
            show_alert=True,
        )
        return
    await staff_desk.record_personal_view(session, clock.now(), actor, info)
    await callback.answer(None if private else _("Sent to you in a private chat."))


# ------------------------------------------------------------------ reassign


async def _show_reassign_menu(
    callback: CallbackQuery, bot: Bot, session: AsyncSession, ticket
) -> None:
    people = await staff_desk.reassign_people(session, ticket)
    rows = [
        [
            InlineKeyboardButton(
                text=f"👤 {option.name}",
                callback_data=ReassignTarget(
                    kind="person",
                    ticket_id=ticket.id,
                    version=ticket.version,
                    target_id=option.person_id,
                ).pack(),
            )
        ]
        for option in people
    ]
    rows.append(
        [
            InlineKeyboardButton(
                text=_("➡️ Another project"),
                callback_data=ReassignTarget(
                    kind="projects", ticket_id=ticket.id, version=ticket.version, target_id=0
                ).pack(),
            ),
            InlineKeyboardButton(
                text=_("Cancel"),
                callback_data=ReassignTarget(
                    kind="cancel", ticket_id=ticket.id, version=ticket.version, target_id=0
                ).pack(),
            ),
        ]
    )
    await bot.send_message(
        callback.message.chat.id,
        _("Who should take over {number}?").format(number=ticket.number),
        reply_markup=InlineKeyboardMarkup(inline_keyboard=rows),
        message_thread_id=thread_of(callback.message),
        reply_parameters=ReplyParameters(
            message_id=callback.message.message_id, allow_sending_without_reply=True
        ),
    )
    await callback.answer()


async def choose_reassign_target(
    callback: CallbackQuery,
    callback_data: ReassignTarget,
    session: AsyncSession,
    clock: Clock,
    organisation: Organisation,
    actor: Actor | None = None,
) -> None:
    data = callback_data
    if callback.message is None:
        return
    place = await where(session, callback.message.chat)
    try:
        if data.kind == "cancel":
            staff_desk.require_staff(actor)
            await callback.message.edit_text(_("Cancelled."))
            await callback.answer()
            return
        ticket = await staff_desk.check_press(
            session, actor, data.ticket_id, data.version, "reassign", place
        )
        assert actor is not None
        ctx = staff_desk.context(organisation, clock.now())
        if data.kind == "projects":
            await _show_projects(callback, session, ticket)
        elif data.kind == "person":
            moved = await staff_desk.reassign_to_person(
                session, ctx, actor, data.ticket_id, data.version, data.target_id
            )
            await callback.message.edit_text(
                _("✅ {number} is now assigned to {name}.").format(
                    number=moved.ticket.number, name=html.escape(moved.assignee_name or "—")
                )
            )
        elif data.kind == "project":
            moved = await staff_desk.reassign_to_project(
                session, ctx, actor, data.ticket_id, data.version, data.target_id
            )
            await callback.message.edit_text(
                _("✅ {number} was moved to {project}.").format(
                    number=moved.ticket.number, project=html.escape(moved.project_name)
                )
            )
        else:
            raise ForgedButton
        await callback.answer()
    except REFUSABLE as error:
        await refuse_press(
            callback, session, clock, actor, "ticket.reassign", error, ticket_id=data.ticket_id
        )


async def _show_projects(callback: CallbackQuery, session: AsyncSession, ticket) -> None:
    projects = await staff_desk.reassign_projects(session, ticket)
    rows = [
        [
            InlineKeyboardButton(
                text=f"🏢 {option.name}",
                callback_data=ReassignTarget(
                    kind="project",
                    ticket_id=ticket.id,
                    version=ticket.version,
                    target_id=option.project_id,
                ).pack(),
            )
        ]
        for option in projects
    ]
    rows.append(
        [
            InlineKeyboardButton(
                text=_("Cancel"),
                callback_data=ReassignTarget(
                    kind="cancel", ticket_id=ticket.id, version=ticket.version, target_id=0
                ).pack(),
            )
        ]
    )
    await callback.message.edit_text(
        _("Move {number} to which project?").format(number=ticket.number),
        reply_markup=InlineKeyboardMarkup(inline_keyboard=rows),
    )


# ------------------------------------------------------------------ forged


async def refuse_forged_button(
    callback: CallbackQuery, session: AsyncSession, clock: Clock, actor: Actor | None = None
) -> None:
    """Data that looks like ours but is not one of our buttons."""
    await refuse_press(callback, session, clock, actor, "ticket.button", ForgedButton())


def build_router() -> Router:
    router = Router(name="staff.cards")
    router.callback_query.register(press_card_button, StaffTicketAction.filter())
    router.callback_query.register(choose_reassign_target, ReassignTarget.filter())
    return router


def build_forged_router() -> Router:
    """Last among ours: anything with our prefixes that no handler understood."""
    router = Router(name="staff.forged")
    router.callback_query.register(
        refuse_forged_button, F.data.regexp(r"^tk[a-z]?:") | F.data.regexp(r"^tk$")
    )
    return router
