"""A ticket's details for staff: the card, who the resident is (where allowed), and the
history with internal notes. Always sent to a private chat, in the reader's own language.

Every message fits Telegram's limit (4,096 UTF-16 units, emoji count double): a card too
long for one message (a long description) is split, and the history is paged from its
newest entries, ◀ ▶ under the last message editing it in place."""

from __future__ import annotations

import html
from dataclasses import dataclass

from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup
from sqlalchemy.ext.asyncio import AsyncSession

from bot.config.orgfile import Organisation
from bot.i18n import N_, NP_, translate, translate_plural
from bot.presentation.buttons.tickets import HistoryPage
from bot.presentation.message_split import TEXT_LIMIT, split_html, units
from bot.presentation.staff.card import card_text
from bot.presentation.texts import (
    initials,
    labelled,
    local_time,
    project_label,
    staff_status_name,
    star_bar,
)
from bot.services.surveys.answers import Feedback
from bot.services.surveys.complaints import reason_names
from bot.services.tickets.queries import HistoryLine, TicketDetails
from storage.models import TicketStatus

MAX_BODY = 300  # characters of a reply, comment or note shown in one history line

WHAT = {
    "created": N_("created the ticket"),
    "assigned": N_("took it"),
    "reply": N_("💬 answered the resident"),
    "comment": N_("🗨 the resident wrote"),
    "note": N_("🔒 internal note"),
    "reassigned": N_("reassigned it"),
    "reopened": N_("↩️ re-opened it"),
    "cancelled": N_("cancelled it"),
    "follower_joined": N_("joined: the same problem"),
    "warned": N_("⏰ deadline warning"),
    "escalated": N_("🔺 escalated"),
    "deadlines_changed": N_("changed the deadlines"),
}
OMITTED = NP_("… {count} earlier entry not shown", "… {count} earlier entries not shown")
PAGE = N_("Page {page} of {pages}")


def _clip(text: str, limit: int = MAX_BODY) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _status(locale: str, value: str | None) -> str:
    if value is None:
        return "—"
    try:
        return staff_status_name(locale, TicketStatus(value))
    except ValueError:
        return value


def _what(line: HistoryLine, locale: str) -> str:
    if line.kind == "status_changed":
        return translate(
            locale,
            N_("status {before} → {after}"),
            before=_status(locale, line.from_status),
            after=_status(locale, line.to_status),
        )
    return translate(locale, WHAT[line.kind]) if line.kind in WHAT else line.kind


def _who(line: HistoryLine, personal: bool, locale: str) -> str:
    """Residents by initials unless personal data may be shown here."""
    name = initials(line.actor_name) if line.by_resident and not personal else line.actor_name
    return html.escape(name) if name else translate(locale, N_("system"))


def _feedback_line(org: Organisation, locale: str, answers: Feedback) -> str:
    """A resident's survey answers: the stars, what they ticked, their words."""
    parts = [star_bar(answers.score) if answers.score else "—"]
    if answers.reasons:
        parts.append(html.escape(reason_names(org, locale, answers.reasons)))
    if answers.comment:
        parts.append(f"“{html.escape(_clip(answers.comment))}”")
    label = (
        N_("The resident's rating: {answers}")
        if answers.by_owner
        else N_("A neighbour's rating: {answers}")
    )
    return translate(locale, label, answers=" · ".join(parts))


@dataclass(frozen=True)
class DetailsMessage:
    text: str
    markup: InlineKeyboardMarkup | None = None


async def render_details(
    session: AsyncSession, org: Organisation, info: TicketDetails, locale: str
) -> list[DetailsMessage]:
    """The messages to send, in order (one unless the ticket is very long); the last one
    holds the newest page of the history, with ◀ ▶ to page through the earlier ones."""
    layout = await _layout(session, org, info, locale)
    if layout.shared:
        return [layout.page(0)]
    return [DetailsMessage(text) for text in split_html(layout.head, TEXT_LIMIT)] + [layout.page(0)]


async def render_history_page(
    session: AsyncSession, org: Organisation, info: TicketDetails, locale: str, page: int
) -> DetailsMessage:
    """The last message of Details showing another page of the history (0: the newest,
    which shares its message with the card when that is short enough)."""
    layout = await _layout(session, org, info, locale)
    return layout.page(page)


@dataclass(frozen=True)
class _Layout:
    ticket_id: int
    locale: str
    head: str
    shared: bool  # the newest page shares the card's message
    title: str
    pages: list[list[str]]  # newest first, each in time order

    def page(self, index: int) -> DetailsMessage:
        index = min(max(index, 0), len(self.pages) - 1)
        earlier = sum(len(lines) for lines in self.pages[index + 1 :])
        text = [self.title]
        if earlier:
            text.append(translate_plural(self.locale, OMITTED, earlier, count=earlier))
        text += self.pages[index]
        markup = None
        if len(self.pages) > 1:
            shown = len(self.pages) - index  # numbered oldest first, like the residents'
            text += ["", translate(self.locale, PAGE, page=shown, pages=len(self.pages))]
            markup = self._paging(index)
        body = "\n".join(text)
        if index == 0 and self.shared:
            body = "\n".join([self.head, "", body])
        return DetailsMessage(body, markup)

    def _paging(self, index: int) -> InlineKeyboardMarkup:
        row = []
        if index < len(self.pages) - 1:
            data = HistoryPage(ticket_id=self.ticket_id, page=index + 1).pack()
            row.append(InlineKeyboardButton(text="◀", callback_data=data))
        if index > 0:
            data = HistoryPage(ticket_id=self.ticket_id, page=index - 1).pack()
            row.append(InlineKeyboardButton(text="▶", callback_data=data))
        return InlineKeyboardMarkup(inline_keyboard=[row])


async def _layout(
    session: AsyncSession, org: Organisation, info: TicketDetails, locale: str
) -> _Layout:
    zone = org.zone(info.project_key or None)
    card = await card_text(session, org, info.ticket, locale, whole_description=True)
    head = [card, ""]
    project = project_label(org, locale, info.project_key, info.project_name)
    head.append(translate(locale, N_("Project: {project}"), project=html.escape(project)))
    if info.personal:  # only then are the name and phone filled in
        head.append(
            translate(
                locale,
                N_("Resident: {name} · Phone: {phone}"),
                name=html.escape(info.resident_name or "—"),
                phone=html.escape(info.resident_phone or "—"),
            )
        )
    if info.followers:
        head.append(translate(locale, N_("Residents who joined: {count}"), count=info.followers))
    head += [_feedback_line(org, locale, answers) for answers in info.feedback]
    history = []
    for line in info.lines:
        text = f"{local_time(line.at, zone)} · {_who(line, info.personal, locale)}"
        what = _what(line, locale)
        if line.body:
            what = labelled(locale, what, html.escape(_clip(line.body)))
        text += f" · {what}"
        history.append(text)
    head_text = "\n".join(head)
    title = translate(locale, N_("History (notes included, staff only):"))
    # The newest page shares the card's message when the card is short, else it has its own.
    shared = units(head_text) + units(title) + 2 <= TEXT_LIMIT // 2
    # Room on each page for its "earlier entries" and "page k of n" lines.
    notes = units(translate_plural(locale, OMITTED, 999999, count=999999)) + 1
    notes += units(translate(locale, PAGE, page=9999, pages=9999)) + 2
    room = TEXT_LIMIT - units(title) - 1 - notes
    first = room - (units(head_text) + 2 if shared else 0)
    return _Layout(info.ticket.id, locale, head_text, shared, title, _pages(history, first, room))


def _pages(history: list[str], first: int, room: int) -> list[list[str]]:
    """The lines packed into pages from the newest: the first page has ``first`` units,
    the others ``room``; each page keeps its lines in time order."""
    pages: list[list[str]] = []
    page: list[str] = []
    size, limit = 0, first
    for line in reversed(history):
        width = units(line) + 1
        if page and size + width > limit:
            pages.append(page[::-1])
            page, size, limit = [], 0, room
        page.append(line)
        size += width
    pages.append(page[::-1])
    return pages
