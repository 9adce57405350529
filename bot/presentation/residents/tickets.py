"""“My tickets” as residents read them: the paged list, a ticket's detail with its history,
and the prompts of a comment, a cancellation or a re-opening."""

from __future__ import annotations

import html

from aiogram.types import InlineKeyboardMarkup
from aiogram.utils.i18n import gettext as _
from sqlalchemy.ext.asyncio import AsyncSession

from bot.config.orgfile import Organisation
from bot.i18n import N_
from bot.presentation.buttons.residents import (
    FollowUpAction,
    FollowUpChoice,
    TicketDetailPage,
    TicketsPage,
)
from bot.presentation.buttons.tickets import ResidentAction, ResidentTicketAction
from bot.presentation.message_split import TEXT_LIMIT, split_html, units
from bot.presentation.residents.keyboards import InlineReply, Reply, Row, inline
from bot.presentation.residents.names import category_label, kind_label
from bot.presentation.texts import STATUS_ICONS, STATUS_NAMES, local_time
from bot.services.intake.filing import snippet
from bot.services.resident_tickets import (
    FollowUp,
    HistoryLine,
    TicketRow,
    TicketView,
    my_tickets,
)
from bot.services.tickets.transitions import is_open
from storage.models import TicketEventKind, TicketStatus

# What the resident is asked for after pressing Comment, Cancel or Not fixed.
QUESTIONS = {
    FollowUp.COMMENT: N_("Write your comment for {number}, or send photos and press “Send”."),
    FollowUp.CANCEL: N_("Why do you want to cancel {number}? Please write a short reason."),
    FollowUp.REOPEN: N_("What is still wrong with {number}? Please write a short description."),
}


def button(action: ResidentAction, ticket_id: int, version: int = 0) -> str:
    return ResidentTicketAction(action=action, ticket_id=ticket_id, version=version).pack()


async def ticket_list(
    session: AsyncSession, org: Organisation, person_id: int, page: int
) -> InlineReply:
    found = await my_tickets(session, person_id, page)
    if found.total == 0:
        return InlineReply(_("You have no tickets yet. Use the menu below to report something."))
    rows: list[Row] = [
        [
            (
                f"{STATUS_ICONS[row.status]} {row.number} · " + _row_label(org, row),
                button(ResidentAction.VIEW, row.id),
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
    return InlineReply(
        text.format(total=found.total, page=found.page + 1, pages=found.pages), inline(rows)
    )


def _history_line(view: TicketView, line: HistoryLine) -> str:
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
    elif line.to_status is TicketStatus.RESOLVED and line.body:
        what = _("resolved: {text}").format(text=html.escape(line.body))
    elif line.to_status is not None:
        what = _("status: {status}").format(status=_(STATUS_NAMES[line.to_status]))
    else:
        what = "…"
    return f"{when} — {what}"


# A page leaves room for its "page 2 of 5" line (the limit counts raw HTML: safe).
PAGE_UNITS = TEXT_LIMIT - 100


def detail(view: TicketView, org: Organisation, page: int = 0, back_page: int = 0) -> InlineReply:
    """The ticket, its description and its whole history, paged (◀ ▶) so that no page
    exceeds Telegram's limit; each page starts with the ticket's number and status."""
    ticket = view.ticket
    title = (
        f"{STATUS_ICONS[ticket.status]} <b>{ticket.number}</b> · {kind_label(ticket.kind.value)}"
        f" · {html.escape(category_label(org, ticket.category_key))}"
        + (" · ⚡" if ticket.urgent else "")
    )
    pages = _pages(title, _blocks(view))
    page = min(max(page, 0), len(pages) - 1)
    text = pages[page]
    if len(pages) > 1:
        text += "\n\n" + _("Page {page} of {pages}").format(page=page + 1, pages=len(pages))
    rows: list[Row] = []
    if is_open(ticket.status):
        rows.append([(_("💬 Add a comment or photo"), button(ResidentAction.COMMENT, ticket.id))])
        if view.is_owner:
            rows.append([(_("✖️ Cancel this ticket"), button(ResidentAction.CANCEL, ticket.id))])
    if ticket.status is TicketStatus.RESOLVED:
        rows.append(
            [
                (_("✅ It is fixed"), button(ResidentAction.CONFIRM, ticket.id, ticket.version)),
                (_("↩️ Not fixed"), button(ResidentAction.REOPEN, ticket.id, ticket.version)),
            ]
        )
    paging = []
    if page > 0:
        paging.append(("◀", TicketDetailPage(ticket_id=ticket.id, page=page - 1).pack()))
    if page < len(pages) - 1:
        paging.append(("▶", TicketDetailPage(ticket_id=ticket.id, page=page + 1).pack()))
    if paging:
        rows.append(paging)
    rows.append([(_("« All my tickets"), TicketsPage(page=back_page).pack())])
    return InlineReply(text, inline(rows))


def _row_label(org: Organisation, row: TicketRow) -> str:
    """What a ticket of the list is about: the resident's words, else its category."""
    if row.follow_up_of is not None:
        return _("📞 Call back about {number}").format(number=row.follow_up_of)
    if row.description is not None:
        return snippet(row.description, 28)
    return category_label(org, row.category_key)


def _blocks(view: TicketView) -> list[str]:
    """What the detail says after its title, in order; "" is a gap."""
    ticket = view.ticket
    blocks = [_("Status: {status}").format(status=_(STATUS_NAMES[ticket.status]))]
    if view.place:
        blocks.append(_("Where: {place}").format(place=html.escape(view.place)))
    resolve_by = local_time(ticket.resolution_due_at, view.zone)
    if is_open(ticket.status) and ticket.first_responded_at is None:
        blocks.append(
            _("Respond by: {respond_by} · Resolve by: {resolve_by}").format(
                respond_by=local_time(ticket.first_response_due_at, view.zone),
                resolve_by=resolve_by,
            )
        )
    elif is_open(ticket.status):  # answered: the history says when; what is still due
        blocks.append(_("Resolve by: {resolve_by}").format(resolve_by=resolve_by))
    if ticket.affected_count > 1:
        blocks.append(_("Residents affected: {count}").format(count=ticket.affected_count))
    if view.follow_up_of is not None:  # its description is the staff's brief
        blocks.append("")
        blocks.append(
            _(
                "You rated {number} low: the property office follows it up and will call you back."
            ).format(number=view.follow_up_of)
        )
    elif view.is_owner:
        blocks.append("")
        blocks.append(html.escape(ticket.description))
        if view.photos:
            blocks.append(_("Photos: {count}").format(count=view.photos))
    blocks.append("")
    blocks.append(_("<b>History</b>"))
    blocks += [_history_line(view, line) for line in view.history]
    return blocks


def _pages(title: str, blocks: list[str]) -> list[str]:
    """The blocks packed into pages under the title; a block too long for a page is
    split (never cut)."""
    room = PAGE_UNITS - units(title) - 1
    pieces = [piece for block in blocks for piece in (split_html(block, room) if block else [""])]
    pages: list[list[str]] = [[title]]
    size = units(title)
    for piece in pieces:
        width = units(piece) + 1
        if size + width > PAGE_UNITS and len(pages[-1]) > 1:
            pages.append([title])
            size = units(title)
        if not piece and len(pages[-1]) == 1:
            continue  # no gap at the top of a page
        pages[-1].append(piece)
        size += width
    return ["\n".join(lines) for lines in pages]


def follow_up_keyboard(ticket_id: int, photos: int = 0) -> InlineKeyboardMarkup:
    """Under a comment / cancel / re-open prompt: “Send” (once photos came) and “« Back”."""
    rows: list[Row] = []
    if photos:
        send = FollowUpChoice(what=FollowUpAction.SEND, ticket_id=ticket_id).pack()
        rows.append([(_("📤 Send"), send)])
    back = FollowUpChoice(what=FollowUpAction.BACK, ticket_id=ticket_id).pack()
    rows.append([(_("« Back"), back)])
    return inline(rows)


def follow_up_question(kind: FollowUp, ticket_id: int, number: str) -> Reply:
    return Reply(_(QUESTIONS[kind]).format(number=number), follow_up_keyboard(ticket_id))


def comment_photos(ticket_id: int, count: int) -> InlineReply:
    text = _("Photos attached: {count}. Add a few words, or press “Send”.").format(count=count)
    return InlineReply(text, follow_up_keyboard(ticket_id, count))


FOLLOW_UPS_DONE = {
    FollowUp.COMMENT: N_("Your comment was added to {number}; the property office sees it."),
    FollowUp.CANCEL: N_("Ticket {number} is cancelled."),
    FollowUp.REOPEN: N_(
        "Ticket {number} is open again; the property office will look at it again."
    ),
}


def follow_up_done(kind: FollowUp, number: str) -> str:
    return _(FOLLOW_UPS_DONE[kind]).format(number=html.escape(number))


def photos_added(number: str) -> str:
    return _("Your photos were added to {number}; the property office sees them.").format(
        number=number
    )
