"""“My tickets”: the paged list (open ones first) and each ticket's detail with history."""

from __future__ import annotations

import html

from aiogram import F, Router
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message
from aiogram.utils.i18n import gettext as _
from sqlalchemy.ext.asyncio import AsyncSession

from bot.config.orgfile import Organisation
from bot.services.access import AccessDenied
from bot.services.intake.filing import snippet
from bot.services.notifications.texts import STATUS_NAMES, local_time
from bot.services.people import Actor
from bot.services.resident_tickets import TicketView, my_tickets, ticket_view
from bot.services.tickets.lifecycle import TicketNotFound
from bot.services.tickets.transitions import is_open
from handlers.callbacks import ResidentTicketAction
from handlers.resident.callbacks import TicketsPage
from handlers.resident.common import refusal, replace_text, resident_for
from handlers.resident.filing_flow import category_label, kind_label
from handlers.resident.keyboards import inline
from storage.models import TicketEventKind, TicketStatus

STATUS_ICONS = {
    TicketStatus.NEW: "🆕",
    TicketStatus.ACKNOWLEDGED: "👀",
    TicketStatus.IN_PROGRESS: "🔧",
    TicketStatus.WAITING_ON_RESIDENT: "⏸",
    TicketStatus.RESOLVED: "✅",
    TicketStatus.CLOSED: "🏁",
    TicketStatus.CANCELLED: "🚫",
}


def button(action: str, ticket_id: int, version: int = 0) -> str:
    return ResidentTicketAction(action=action, ticket_id=ticket_id, version=version).pack()


async def render_list(
    session: AsyncSession, organisation: Organisation, person_id: int, page: int
) -> tuple[str, InlineKeyboardMarkup | None]:
    found = await my_tickets(session, person_id, page)
    if found.total == 0:
        return _("You have no tickets yet. Use the menu below to report something."), None
    rows = [
        [
            (
                f"{STATUS_ICONS[row.status]} {row.number} · "
                + (
                    snippet(row.description, 28)
                    if row.description is not None
                    else category_label(organisation, row.category_key)
                ),
                button("view", row.id),
            )
        ]
        for row in found.rows
    ]
    paging = []
    if found.page > 0:
        paging.append(("◀", TicketsPage(page=found.page - 1).pack()))
    if found.page < found.pages - 1:
        paging.append(("▶", TicketsPage(page=found.page + 1).pack()))
    rows.append(paging)
    text = _("📋 <b>Your tickets</b> ({total}), page {page} of {pages}. Open ones come first.")
    return text.format(total=found.total, page=found.page + 1, pages=found.pages), inline(rows)


async def send_list(
    message: Message, session: AsyncSession, organisation: Organisation, person_id: int
) -> None:
    text, markup = await render_list(session, organisation, person_id, 0)
    await message.answer(text, reply_markup=markup)


def _history_line(view: TicketView, line) -> str:
    when = local_time(line.at, view.zone)
    if line.kind is TicketEventKind.CREATED:
        what = _("filed")
    elif line.kind is TicketEventKind.REPLY:
        what = _("property office: {text}").format(text=html.escape(line.body or ""))
    elif line.kind is TicketEventKind.COMMENT:
        what = (
            _("you: {text}").format(text=html.escape(line.body or ""))
            if line.mine
            else _("another resident added a comment")
        )
    elif line.kind is TicketEventKind.FOLLOWER_JOINED:
        what = _("a neighbour with the same problem joined")
    elif line.kind is TicketEventKind.REOPENED:
        what = _("re-opened: {reason}").format(reason=html.escape(line.body or ""))
    elif line.kind is TicketEventKind.CANCELLED:
        what = _("cancelled: {reason}").format(reason=html.escape(line.body or ""))
    elif line.to_status is not None:
        what = _("status: {status}").format(status=_(STATUS_NAMES[line.to_status]))
    else:
        what = "…"
    return f"{when} — {what}"


def render_detail(
    view: TicketView, organisation: Organisation, back_page: int
) -> tuple[str, InlineKeyboardMarkup]:
    ticket = view.ticket
    lines = [
        f"{STATUS_ICONS[ticket.status]} <b>{ticket.number}</b> · {kind_label(ticket.kind.value)}"
        f" · {html.escape(category_label(organisation, ticket.category_key))}"
        + (" · ⚡" if ticket.urgent else ""),
        _("Status: {status}").format(status=_(STATUS_NAMES[ticket.status])),
    ]
    if view.place:
        lines.append(_("Where: {place}").format(place=html.escape(view.place)))
    if is_open(ticket.status):
        lines.append(
            _("Respond by: {respond_by} · Resolve by: {resolve_by}").format(
                respond_by=local_time(ticket.first_response_due_at, view.zone),
                resolve_by=local_time(ticket.resolution_due_at, view.zone),
            )
        )
    if ticket.affected_count > 1:
        lines.append(_("Residents affected: {count}").format(count=ticket.affected_count))
    if view.is_owner:
        lines.append("")
        lines.append(html.escape(ticket.description))
        if view.photos:
            lines.append(_("Photos: {count}").format(count=view.photos))
    lines.append("")
    lines.append(_("<b>History</b>"))
    lines += [_history_line(view, line) for line in view.history]
    rows: list[list[tuple[str, str]]] = []
    if is_open(ticket.status):
        rows.append([(_("💬 Add a comment or photo"), button("comment", ticket.id))])
        if view.is_owner:
            rows.append([(_("✖️ Cancel this ticket"), button("cancel", ticket.id))])
    if ticket.status is TicketStatus.RESOLVED:
        rows.append(
            [
                (_("✅ It is fixed"), button("confirm", ticket.id, ticket.version)),
                (_("↩️ Not fixed"), button("reopen", ticket.id, ticket.version)),
            ]
        )
    rows.append([(_("« All my tickets"), TicketsPage(page=back_page).pack())])
    return "\n".join(lines), inline(rows)


async def show_page(
    callback: CallbackQuery,
    callback_data: TicketsPage,
    session: AsyncSession,
    organisation: Organisation,
) -> None:
    person = await resident_for(callback, session, organisation)
    if person is None or not isinstance(callback.message, Message):
        return
    await callback.answer()
    text, markup = await render_list(session, organisation, person.id, callback_data.page)
    await replace_text(callback.message, text, reply_markup=markup)


async def show_detail(
    callback: CallbackQuery,
    callback_data: ResidentTicketAction,
    session: AsyncSession,
    organisation: Organisation,
    actor: Actor,
) -> None:
    if await resident_for(callback, session, organisation) is None:
        return
    try:
        view = await ticket_view(session, organisation, actor, callback_data.ticket_id)
    except (AccessDenied, TicketNotFound) as error:
        await callback.answer(refusal(error), show_alert=True)
        return
    await callback.answer()
    text, markup = render_detail(view, organisation, back_page=0)
    if isinstance(callback.message, Message):
        await replace_text(callback.message, text, reply_markup=markup)


def build_router() -> Router:
    router = Router(name="resident.tickets")
    router.callback_query.filter(F.message.chat.type == "private")
    router.callback_query.register(show_page, TicketsPage.filter())
    router.callback_query.register(show_detail, ResidentTicketAction.filter(F.action == "view"))
    return router
