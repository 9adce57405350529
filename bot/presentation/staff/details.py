"""A ticket's details for staff: the card, who the resident is (where allowed), and the
history with internal notes. Always sent to a private chat, in the reader's own language.

Every message fits Telegram's limit (4,096 UTF-16 units, emoji count double): a card too
long for one message (a long description) is split, and the history keeps its newest
entries that fit one message, saying how many earlier ones are not shown."""

from __future__ import annotations

import html

from sqlalchemy.ext.asyncio import AsyncSession

from bot.config.orgfile import Organisation
from bot.i18n import N_, NP_, translate, translate_plural
from bot.presentation.message_split import TEXT_LIMIT, split_html, units
from bot.presentation.staff.card import card_text
from bot.presentation.texts import initials, local_time, project_label, staff_status_name
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


async def render_details(
    session: AsyncSession, org: Organisation, info: TicketDetails, locale: str
) -> list[str]:
    """The messages to send, in order (one unless the ticket is very long)."""
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
    history = []
    for line in info.lines:
        text = f"{local_time(line.at, zone)} · {_who(line, info.personal, locale)}"
        text += f" · {_what(line, locale)}"
        if line.body:
            text += f": {html.escape(_clip(line.body))}"
        history.append(text)
    head_text = "\n".join(head)
    title = translate(locale, N_("History (notes included, staff only):"))
    # The history shares the card's message when it fits there, else it has its own.
    alone = units(head_text) + units(title) + 2 > TEXT_LIMIT // 2
    room = TEXT_LIMIT - units(title) - 1 - (0 if alone else units(head_text) + 2)
    history, omitted = _newest_fitting(history, room, info.omitted, locale)
    tail = [title]
    if omitted:
        tail.append(translate_plural(locale, OMITTED, omitted, count=omitted))
    tail += history
    if not alone:
        return ["\n".join([head_text, "", *tail])]
    return [*split_html(head_text, TEXT_LIMIT), "\n".join(tail)]


def _newest_fitting(
    history: list[str], room: int, omitted: int, locale: str
) -> tuple[list[str], int]:
    """The newest lines that fit ``room`` units with the note of how many are left out."""
    note = units(translate_plural(locale, OMITTED, omitted + len(history), count=999999)) + 1
    if units("\n".join(history)) + (note if omitted else 0) <= room:
        return history, omitted
    kept: list[str] = []
    size = note
    for line in reversed(history):
        size += units(line) + 1
        if size > room:
            break
        kept.append(line)
    kept.reverse()
    return kept, omitted + len(history) - len(kept)
