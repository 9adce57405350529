"""The buttons on a ticket card, one handler per action: Take, Reply, Resolve, Note,
Reassign, Details, Start work, Category, Cancel ticket (and a number in /queue, Open).

Every press is checked once on the server, by the lifecycle command or the query it
calls: a resident, a stranger, staff of another project, a button about another
group's ticket, a forged or an outdated button are refused (by the refusal
middleware: a short alert and an audit line) and change nothing.
"""

from __future__ import annotations

import html
from collections.abc import Awaitable, Callable

from aiogram import F, Router
from aiogram.exceptions import TelegramBadRequest, TelegramForbiddenError
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message, ReplyParameters
from aiogram.utils.i18n import gettext as _
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.i18n import N_
from bot.presentation.buttons.tickets import (
    CardAction,
    ClassifyAction,
    ClassifyChoice,
    HistoryPage,
    ReassignKind,
    ReassignTarget,
    StaffTicketAction,
)
from bot.presentation.staff.card import render_card
from bot.presentation.staff.compose import ComposeMode
from bot.presentation.staff.details import DetailsMessage, render_details, render_history_page
from bot.presentation.staff.menus import classify_menu, projects_menu, reassign_menu
from bot.presentation.texts import category_name, project_label
from bot.services import access
from bot.services.context import Context
from bot.services.errors import Refused
from bot.services.people import Actor
from bot.services.tickets import lifecycle, queries
from bot.services.tickets.refusals import ForgedButton
from bot.services.tickets.transitions import TicketAction
from handlers.background import Background, in_background
from handlers.desk import Desk, at_desk
from handlers.staff import compose
from handlers.staff.common import bot_username, chat_of, editable, pressed_on, thread_of
from storage.models import Ticket


async def _menu(
    callback: CallbackQuery, desk: Desk, text: str, markup: InlineKeyboardMarkup
) -> None:
    """A menu under the card it was opened from."""
    message = pressed_on(callback)
    await desk.bot.send_message(
        message.chat.id,
        text,
        reply_markup=markup,
        message_thread_id=thread_of(message),
        reply_parameters=ReplyParameters(
            message_id=message.message_id, allow_sending_without_reply=True
        ),
    )
    await callback.answer()


async def _pressed_ticket(
    callback: CallbackQuery,
    button: StaffTicketAction | ReassignTarget,
    desk: Desk,
    *,
    current: bool = True,
    open_only: bool = False,
    next_action: TicketAction | None = None,
) -> tuple[Actor, Ticket]:
    """The ticket a button is about, if the presser may work on it in this chat (and,
    ``current``, the button shows its current version)."""
    return await queries.staff_ticket(
        desk.session,
        desk.actor,
        await desk.place(chat_of(callback)),
        ticket_id=button.ticket_id,
        version=button.version if current else None,
        open_only=open_only,
        next_action=next_action,
    )


# ------------------------------------------------------------------ changes at once


# The presses that change the ticket at once: the lifecycle command, and the alert
# that confirms it to the presser.
AT_ONCE: dict[CardAction, tuple[Callable[..., Awaitable[Ticket]], str]] = {
    CardAction.TAKE: (lifecycle.take, N_("You have taken {number}.")),
    CardAction.START: (lifecycle.start_work, N_("🔧 Work on {number} has started.")),
}


async def change_at_once(
    callback: CallbackQuery, callback_data: StaffTicketAction, desk: Desk
) -> None:
    """Take, Start work."""
    command, confirmation = AT_ONCE[CardAction(callback_data.action)]
    place = await desk.place(chat_of(callback))
    changed = await command(
        desk.session,
        desk.ctx,
        callback_data.ticket_id,
        desk.actor,
        callback_data.version,
        place=place,
    )
    await callback.answer(_(confirmation).format(number=changed.number))


# ------------------------------------------------------------------ asking for text

# Before a prompt asks for text, the ticket must still allow what the text is for.
PROMPT_CHECKS: dict[ComposeMode, tuple[bool, TicketAction | None]] = {
    ComposeMode.REPLY: (True, None),  # (open only, the transition it will make)
    ComposeMode.NOTE: (False, None),
    ComposeMode.RESOLVE: (False, TicketAction.RESOLVE),
    ComposeMode.CANCEL: (True, None),
}


async def ask_for_text(
    callback: CallbackQuery, callback_data: StaffTicketAction, desk: Desk
) -> None:
    """Reply, Note, Resolve, Cancel ticket: a prompt asks for the answer, the note, what
    was done, or the reason (``handlers/staff/compose.py`` takes it from there)."""
    mode = ComposeMode(callback_data.action)
    open_only, next_action = PROMPT_CHECKS[mode]
    _staff, ticket = await _pressed_ticket(
        callback, callback_data, desk, open_only=open_only, next_action=next_action
    )
    await compose.start(callback, desk, ticket, mode)


# ------------------------------------------------------------------ showing


async def send_details(
    callback: CallbackQuery, callback_data: StaffTicketAction, desk: Desk, deps: Background
) -> None:
    """History with notes, always in a private message: groups never see personal data."""
    staff, ticket = await _pressed_ticket(callback, callback_data, desk)
    info = await queries.details(desk.session, staff, ticket, private=True)
    texts = await render_details(desk.session, desk.ctx.org, info, desk.own_locale)
    if chat_of(callback).type == "private":  # sent after this update's commit, as usual
        for text in texts:
            await desk.bot.send_message(callback.from_user.id, text.text, reply_markup=text.markup)
        await queries.record_personal_view(desk.session, desk.ctx.now, staff, info)
        await callback.answer()
        return
    # Pressed in a group: the private chat is another chat, which Telegram may refuse; the
    # texts go once this update has committed, and the presser hears how it went.
    in_background(
        deps,
        desk.session,
        _details_privately(callback, desk, deps.sessionmaker, staff, info, texts),
        "details-privately",
    )


async def _details_privately(
    callback: CallbackQuery,
    desk: Desk,
    sessionmaker: async_sessionmaker[AsyncSession],
    staff: Actor,
    info: queries.TicketDetails,
    texts: list[DetailsMessage],
) -> None:
    try:
        for text in texts:
            await desk.bot.send_message(callback.from_user.id, text.text, reply_markup=text.markup)
    except (TelegramForbiddenError, TelegramBadRequest) as error:
        if not _no_private_chat(error):
            raise  # anything else is a fault, not the presser's to fix (logged)
        # Never started a chat with us: Telegram won't let us write first.
        link = f"https://t.me/{await bot_username(desk.bot)}"
        await callback.answer(
            _("Open a private chat with me first ({link}), then press Details again.").format(
                link=link
            ),
            show_alert=True,
        )
        return
    async with sessionmaker() as session, session.begin():
        await queries.record_personal_view(session, desk.ctx.now, staff, info)
    await callback.answer(_("Sent to you in a private chat."))


async def history_page(callback: CallbackQuery, callback_data: HistoryPage, desk: Desk) -> None:
    """◀ ▶ under Details: another page of the history, in place (Details are private)."""
    staff, ticket = await queries.staff_ticket(
        desk.session,
        desk.actor,
        await desk.place(chat_of(callback)),
        ticket_id=callback_data.ticket_id,
    )
    message = editable(callback)
    private = message.chat.type == "private"
    info = await queries.details(desk.session, staff, ticket, private=private)
    page = await render_history_page(
        desk.session, desk.ctx.org, info, desk.own_locale, callback_data.page
    )
    await desk.bot.edit_message_text(
        page.text, chat_id=message.chat.id, message_id=message.message_id, reply_markup=page.markup
    )
    if info.personal:  # residents' names are shown in full there
        await queries.record_personal_view(desk.session, desk.ctx.now, staff, info)
    await callback.answer()


def _no_private_chat(error: TelegramForbiddenError | TelegramBadRequest) -> bool:
    """Telegram refused because the person never opened a chat with us (or blocked us)."""
    if isinstance(error, TelegramForbiddenError):
        return True
    return "chat not found" in error.message.lower()


async def show_card(callback: CallbackQuery, callback_data: StaffTicketAction, desk: Desk) -> None:
    """A number in /queue: the ticket's card as it is now, whatever the list showed."""
    message = pressed_on(callback)
    _staff, ticket = await _pressed_ticket(callback, callback_data, desk, current=False)
    locale = desk.reading_locale(message.chat)
    text, markup = await render_card(desk.session, desk.ctx.org, ticket, locale)
    await desk.bot.send_message(
        message.chat.id, text, reply_markup=markup, message_thread_id=thread_of(message)
    )
    await callback.answer()


# ------------------------------------------------------------------ reassigning


async def offer_reassign(
    callback: CallbackQuery, callback_data: StaffTicketAction, desk: Desk
) -> None:
    _staff, ticket = await _pressed_ticket(callback, callback_data, desk, open_only=True)
    people = await queries.reassign_people(desk.session, ticket)
    await _menu(callback, desk, *reassign_menu(ticket, people))


async def offer_projects(
    callback: CallbackQuery, callback_data: ReassignTarget, desk: Desk
) -> None:
    message = editable(callback)
    _staff, ticket = await _pressed_ticket(callback, callback_data, desk, open_only=True)
    projects = await queries.reassign_projects(desk.session, ticket)
    text, markup = projects_menu(desk.ctx.org, ticket, projects, desk.locale)
    await message.edit_text(text, reply_markup=markup)
    await callback.answer()


async def reassign(callback: CallbackQuery, callback_data: ReassignTarget, desk: Desk) -> None:
    """A colleague (``person``) or another project (``project``) chosen in the menu."""
    message = editable(callback)
    to_person = callback_data.kind is ReassignKind.PERSON
    session = desk.session
    ticket = await lifecycle.reassign(
        session,
        desk.ctx,
        callback_data.ticket_id,
        desk.actor,
        to_person_id=callback_data.target_id if to_person else None,
        to_project_id=None if to_person else callback_data.target_id,
        expected_version=callback_data.version,
        place=await desk.place(message.chat),
    )
    now_at = await queries.whereabouts(session, ticket)
    if to_person:
        text = _("✅ {number} is now assigned to {name}.").format(
            number=now_at.number, name=html.escape(now_at.assignee_name or "—")
        )
    else:
        text = _("✅ {number} was moved to {project}.").format(
            number=now_at.number,
            project=html.escape(
                project_label(desk.ctx.org, desk.locale, now_at.project_key, now_at.project_name)
            ),
        )
    await _answered(message, text)
    await callback.answer()


async def close_menu(callback: CallbackQuery, desk: Desk) -> None:
    """Cancel in the reassign or the category menu: nothing changes."""
    access.require_staff(desk.actor)
    await _answered(editable(callback), _("Cancelled."))
    await callback.answer()


async def _answered(menu: Message, choice: str) -> None:
    """A menu once answered: its question stays, followed by what was chosen, no buttons."""
    question = menu.html_text
    await menu.edit_text(f"{question}\n\n{choice}" if question else choice, reply_markup=None)


# ------------------------------------------------------------------ category and urgency


async def offer_categories(
    callback: CallbackQuery, callback_data: StaffTicketAction, desk: Desk
) -> None:
    _staff, ticket = await _pressed_ticket(callback, callback_data, desk, open_only=True)
    categories = queries.category_options(desk.ctx.org, ticket)
    await _menu(callback, desk, *classify_menu(desk.ctx.org, ticket, categories, desk.locale))


async def reclassify(callback: CallbackQuery, callback_data: ClassifyChoice, desk: Desk) -> None:
    """A category, or the urgency switch: deadlines are recomputed, the resident told."""
    message = editable(callback)
    action = callback_data.action
    ticket = await lifecycle.change_classification(
        desk.session,
        desk.ctx,
        callback_data.ticket_id,
        desk.actor,
        category_key=callback_data.category if action is ClassifyAction.CATEGORY else None,
        urgent=None if action is ClassifyAction.CATEGORY else action is ClassifyAction.URGENT,
        expected_version=callback_data.version,
        place=await desk.place(message.chat),
    )
    await _answered(message, _classified(desk.ctx, ticket, desk.locale))
    await callback.answer()


def _classified(ctx: Context, ticket: Ticket, locale: str) -> str:
    category = html.escape(category_name(ctx.org, locale, ticket.category_key))
    if ticket.urgent:
        text = _("✅ {number} is now “{category}”, urgent. Deadlines were recomputed.")
    else:
        text = _("✅ {number} is now “{category}”, not urgent. Deadlines were recomputed.")
    return text.format(number=ticket.number, category=category)


# ------------------------------------------------------------------ forged


async def refresh_stale_view(callback: CallbackQuery, data: dict[str, object]) -> None:
    """After an outdated button's alert: the ticket as it is now, in the message pressed
    (a view from /ticket or /queue; the group's card is kept current by its own edits)."""
    button, desk = data.get("callback_data"), data.get("desk")
    message = callback.message
    if not isinstance(button, StaffTicketAction) or not isinstance(desk, Desk):
        return
    if not isinstance(message, Message):
        return
    try:
        _staff, ticket = await _pressed_ticket(callback, button, desk, current=False)
    except Refused:
        return  # no longer theirs to see: the alert said enough
    if (ticket.card_chat_id, ticket.card_message_id) == (message.chat.id, message.message_id):
        return
    locale = desk.reading_locale(message.chat)
    text, markup = await render_card(desk.session, desk.ctx.org, ticket, locale)
    await message.edit_text(text, reply_markup=markup)


async def refuse_unknown_action(callback: CallbackQuery, callback_data: StaffTicketAction) -> None:
    """Shaped like a card button, but no card has this action."""
    raise ForgedButton(ticket_id=callback_data.ticket_id)


async def refuse_forged_button(callback: CallbackQuery) -> None:
    """Last among ours: data with our prefixes that no handler understood."""
    raise ForgedButton


CARD_BUTTONS: dict[CardAction, Callable[..., Awaitable[None]]] = {
    CardAction.TAKE: change_at_once,
    CardAction.START: change_at_once,
    CardAction.REPLY: ask_for_text,
    CardAction.NOTE: ask_for_text,
    CardAction.RESOLVE: ask_for_text,
    CardAction.CANCEL: ask_for_text,
    CardAction.DETAILS: send_details,
    CardAction.OPEN: show_card,
    CardAction.REASSIGN: offer_reassign,
    CardAction.CLASSIFY: offer_categories,
}
REASSIGN_CHOICES: dict[ReassignKind, Callable[..., Awaitable[None]]] = {
    ReassignKind.PROJECTS: offer_projects,
    ReassignKind.PERSON: reassign,
    ReassignKind.PROJECT: reassign,
    ReassignKind.CANCEL: close_menu,
}


def build_router() -> Router:
    router = Router(name="staff.cards")
    router.callback_query.filter(at_desk)
    register = router.callback_query.register
    for action, handler in CARD_BUTTONS.items():
        register(handler, StaffTicketAction.filter(F.action == action), flags=_audit(action))
    for kind, choice in REASSIGN_CHOICES.items():
        register(choice, ReassignTarget.filter(F.kind == kind), flags=_audit("reassign"))
    closing = F.action == ClassifyAction.CLOSE
    register(close_menu, ClassifyChoice.filter(closing), flags=_audit("classify"))
    register(reclassify, ClassifyChoice.filter(~closing), flags=_audit("classify"))
    register(history_page, HistoryPage.filter(), flags=_audit("details"))
    # Last: shaped like a card button, but no card has its action.
    register(refuse_unknown_action, StaffTicketAction.filter(), flags=_audit("button"))
    return router


def _audit(action: str) -> dict[str, object]:
    """The audit log's name for a refused press (``ticket.take``), and what to do after
    an outdated button's alert (``handlers/middlewares/refusals.py``)."""
    return {"audit": f"ticket.{action}", "on_stale": refresh_stale_view}


def build_forged_router() -> Router:
    """Last among ours: anything with our prefixes that no handler understood."""
    router = Router(name="staff.forged")
    ours = F.data.regexp(r"^tk[a-z]?:") | F.data.regexp(r"^tk$")
    router.callback_query.register(refuse_forged_button, ours, flags=_audit("button"))
    return router
