"""The filing conversation as residents read it: each step's question, the summary, the
duplicates offered, the ticket filed; and the offer to file a free-text message."""

from __future__ import annotations

import html
from datetime import datetime

from aiogram.types import InlineKeyboardMarkup
from aiogram.utils.i18n import get_i18n, ngettext
from aiogram.utils.i18n import gettext as _
from sqlalchemy.ext.asyncio import AsyncSession

from bot.config.orgfile import Category, Organisation
from bot.i18n import N_, listed
from bot.presentation.buttons.residents import (
    FILE_AS_PROPOSED,
    NEW_REQUEST,
    NO_THANKS,
    OTHER_KIND,
    FilingAction,
    FilingChoice,
    OfferChoice,
    TicketChosen,
)
from bot.presentation.residents.keyboards import InlineReply, Reply, Row, in_rows, inline
from bot.presentation.residents.names import category_label, kind_label, place_label
from bot.presentation.texts import STATUS_ICONS, local_time, zone_name
from bot.services.intake import categories, filing
from bot.services.intake.conversation import Field, Flow, Step, editable_fields
from bot.services.intake.filing import Duplicate
from bot.services.intake.lexicon import FAREWELL, GREETING, THANKS
from bot.services.intake.offers import Offer
from bot.services.intake.quick import QuickOffer
from bot.services.resident_tickets import project_zone
from bot.services.ticket_talk import OpenTicket
from storage.models import Person, Ticket, TicketKind, TicketStatus

KIND_ICONS = {"repair": "🔧", "complaint": "📣", "suggestion": "💡", "inquiry": "❓"}
FIELD_NAMES = {
    Field.CATEGORY: N_("Category"),
    Field.PLACE: N_("Place"),
    Field.DESCRIPTION: N_("Description"),
    Field.PHOTOS: N_("Photos"),
    Field.URGENT: N_("Urgent"),
}
CHOOSE_A_BUTTON = N_("Please choose one of the buttons.")
# What a step says to input it cannot use (a sticker, a voice note, a file...).
HINTS = {
    Step.LOCATION: N_("I can only use text here. Please write it."),
    Step.DESCRIPTION: N_("I can only use text here. Please write it."),
    Step.PHOTOS: N_("Please send a photo, or press the button."),
}


def _catch_all(category: Category) -> bool:
    """The organisation's own "Other" category: then no second "Other" button is added."""
    return category.key in {"other", "others", "misc"} or category.name.en.lower() == "other"


# Where is it, and what is it: a question or a suggestion is not a fault somewhere, and
# is asked for in its own words.
ASKED_FOR = (
    N_("Where is it? Choose your unit, or a common area."),
    N_("Please describe it in a few words (at most {limit} characters)."),
)
ASKED_FOR_KIND = {
    TicketKind.INQUIRY: (
        N_("Is your question about your unit, or the community in general?"),
        N_("Please write your question (at most {limit} characters)."),
    ),
    TicketKind.SUGGESTION: (
        N_("Is your suggestion about your unit, or the community in general?"),
        N_("Please write your suggestion (at most {limit} characters)."),
    ),
}


def button(flow: Flow, what: FilingAction, value: str | int = "") -> str:
    return FilingChoice(flow=flow.id, what=what, value=str(value)).pack()


def started(kind: str) -> str:
    return _("New {kind}. You can stop at any step with /cancel.").format(
        kind=kind_label(kind).lower()
    )


def hint(step: Step | None) -> str:
    return _(HINTS.get(step, CHOOSE_A_BUTTON)) if step is not None else _(CHOOSE_A_BUTTON)


async def question(
    session: AsyncSession, org: Organisation, person: Person, flow: Flow, step: Step
) -> Reply:
    """What the step asks (the summary for :attr:`Step.SUMMARY`)."""
    draft = flow.draft
    if step is Step.CATEGORY:
        locale = get_i18n().current_locale
        buttons = [
            (c.name.get(locale), button(flow, FilingAction.CATEGORY, c.key))
            for c in categories.categories_for(org, draft.kind)
        ]
        if not any(_catch_all(c) for c in categories.categories_for(org, draft.kind)):
            buttons.append((_("Other"), button(flow, FilingAction.CATEGORY)))
        return Reply(
            _("What is your {kind} about?").format(kind=kind_label(draft.kind).lower()),
            inline(in_rows(buttons, 2)),
        )
    if step is Step.PLACE:
        locale = get_i18n().current_locale
        options = await filing.place_options(session, person, draft.ticket_kind, org, locale)
        buttons = [
            (f"🏠 {o.label}", button(flow, FilingAction.UNIT, o.id))
            if o.kind == "unit"
            else (
                _("🌳 {project}: common area or general").format(project=o.label),
                button(flow, FilingAction.AREA, o.id),
            )
            for o in options
        ]
        where, _what = ASKED_FOR_KIND.get(draft.ticket_kind, ASKED_FOR)
        return Reply(_(where), inline(in_rows(buttons, 1)))
    if step is Step.LOCATION:
        return Reply(
            _("Where exactly? For example: “lift 2 in building 3” or “the gate by the car park”.")
        )
    if step is Step.DESCRIPTION:
        _where, what = ASKED_FOR_KIND.get(draft.ticket_kind, ASKED_FOR)
        return Reply(_(what).format(limit=org.residents.description_max_length))
    if step is Step.PHOTOS:
        return Reply(*photos(flow, org.residents.max_photos))
    if step is Step.URGENT:
        return Reply(
            _("Is it urgent (a danger to people or property, or it cannot wait)?"),
            inline(
                [
                    [
                        (_("⚡ Yes, urgent"), button(flow, FilingAction.URGENT, 1)),
                        (_("No"), button(flow, FilingAction.URGENT, 0)),
                    ]
                ]
            ),
        )
    return Reply(await summary_text(session, org, flow), summary_keyboard(flow))


def photos(flow: Flow, limit: int) -> InlineReply:
    """The photo step's question, counting the photos attached so far."""
    count = len(flow.draft.photos)
    if count == 0:
        text = _(
            "Add photos if they help (up to {limit}; you can send several at once), "
            "or press “No photos”."
        ).format(limit=limit)
        label = _("No photos")
    else:
        if count >= limit:
            text = _("Photos attached: {count} of {limit}, the most allowed. Press “Done”.")
        else:
            text = _("Photos attached: {count} of {limit}. Send more, or press “Done”.")
        text, label = text.format(count=count, limit=limit), _("Done")
    return InlineReply(text, inline([[(label, button(flow, FilingAction.PHOTOS_DONE))]]))


def photo_needs_words() -> str:
    return _("Photo attached. Now please describe the problem in words.")


async def summary_text(session: AsyncSession, org: Organisation, flow: Flow) -> str:
    """The draft to check before it is filed; urgency only where the category has it."""
    draft = flow.draft
    urgent = ""
    if Field.URGENT in editable_fields(org, draft):
        urgent = _("Urgent: {urgent}\n").format(urgent=_("yes") if draft.urgent else _("no"))
    return _(
        "📝 <b>Please check your {kind}</b>\n"
        "Category: {category}\n"
        "Where: {place}\n"
        "Description: {description}\n"
        "Photos: {photos}\n"
        "{urgent}\n"
        "Is everything right?"
    ).format(
        kind=kind_label(draft.kind).lower(),
        category=html.escape(category_label(org, draft.category_key)),
        place=await place_label(session, draft, org),
        description=html.escape(draft.description or ""),
        photos=len(draft.photos),
        urgent=urgent,
    )


def summary_keyboard(flow: Flow) -> InlineKeyboardMarkup:
    return inline(
        [
            [(_("✅ Submit"), button(flow, FilingAction.SUBMIT))],
            [
                (_("✏️ Change something"), button(flow, FilingAction.EDIT)),
                (_("✖️ Cancel"), button(flow, FilingAction.CANCEL)),
            ],
        ]
    )


def edit_keyboard(flow: Flow, org: Organisation) -> InlineKeyboardMarkup:
    buttons = [
        (_(FIELD_NAMES[f]), button(flow, FilingAction.FIELD, f))
        for f in editable_fields(org, flow.draft)
    ]
    return inline([*in_rows(buttons, 3), [(_("« Back"), button(flow, FilingAction.BACK))]])


def duplicates(flow: Flow, found: list[Duplicate]) -> Reply:
    lines = [
        _("• <b>{number}</b> “{text}” ({count} affected)").format(
            number=d.number, text=html.escape(d.snippet), count=d.affected
        )
        for d in found
    ]
    rows = [
        [(_("Join {number}").format(number=d.number), button(flow, FilingAction.JOIN, d.ticket_id))]
        for d in found
    ]
    rows.append([(_("📝 File a new one"), button(flow, FilingAction.NEW))])
    text = (
        _("Neighbours have already reported something similar:")
        + "\n"
        + "\n".join(lines)
        + "\n\n"
        + _("Join one of them (you will get every update), or file a new one.")
    )
    return Reply(text, inline(rows))


async def filed(session: AsyncSession, org: Organisation, ticket: Ticket) -> str:
    zone = await project_zone(session, org, ticket.project_id)
    return _(
        "✅ Thank you! Your {kind} is filed as <b>{number}</b>.\n"
        "We will respond by {respond_by} and aim to resolve it by {resolve_by} ({zone}).\n"
        "I will message you here whenever it changes; see it any time in “My tickets”."
    ).format(
        kind=kind_label(ticket.kind.value).lower(),
        number=ticket.number,
        respond_by=local_time(ticket.first_response_due_at, zone),
        resolve_by=local_time(ticket.resolution_due_at, zone),
        zone=zone_name(zone, get_i18n().current_locale),
    )


def joined(ticket: Ticket) -> str:
    return ngettext(
        "You joined <b>{number}</b> ({count} resident affected). I will message you "
        "at every change, and it is in “My tickets”.",
        "You joined <b>{number}</b> ({count} residents affected). I will message you "
        "at every change, and it is in “My tickets”.",
        ticket.affected_count,
    ).format(number=ticket.number, count=ticket.affected_count)


def _kind_rows(flow_id: int, found: Offer) -> list[Row]:
    buttons = [
        (f"{KIND_ICONS[k]} {kind_label(k)}", OfferChoice(flow=flow_id, kind=k).pack())
        for k in found.kinds
    ]
    return [
        *in_rows(buttons, 2),
        [(_("No, thanks"), OfferChoice(flow=flow_id, kind=NO_THANKS).pack())],
    ]


def offer_kinds(flow_id: int, found: Offer) -> InlineKeyboardMarkup:
    """A button per kind the message may be filed as, and "No, thanks"."""
    return inline(_kind_rows(flow_id, found))


def _about(org: Organisation, ticket: OpenTicket) -> str:
    """What a ticket is about, as its resident recognises it: its category, else its kind."""
    if ticket.category_key is not None:
        return category_label(org, ticket.category_key)
    return kind_label(ticket.kind)


def _add_to_rows(org: Organisation, flow_id: int, tickets: list[OpenTicket]) -> list[Row]:
    """A button per open ticket, named by its number and what it is about (few residents
    remember their numbers)."""
    return [
        [
            (
                _("💬 Add to {number} · {about}").format(number=t.number, about=_about(org, t)),
                TicketChosen(flow=flow_id, ticket_id=t.id).pack(),
            )
        ]
        for t in tickets
    ]


# Said back to a pleasantry before the usual hint (small_talk.pleasantry_kind).
PLEASANTRY_ANSWERS = {
    THANKS: N_("You are welcome!"),
    GREETING: N_("Hello!"),
    FAREWELL: N_("Goodbye, and have a good day!"),
}


def menu_hint(pleasantry: str | None = None) -> str:
    """The answer to words that are nothing to file: the menu, or a sentence; a greeting
    or thanks answered first."""
    hint = _("Choose what you need from the menu below, or describe your problem in a sentence.")
    answer = PLEASANTRY_ANSWERS.get(pleasantry or "")
    if answer is None:
        return hint
    return _("{answer} {hint}").format(answer=_(answer), hint=hint)


def _which_keyboard(
    org: Organisation, flow_id: int, tickets: list[OpenTicket]
) -> InlineKeyboardMarkup:
    """Add the held words to one of ``tickets``, or take them as a new request."""
    new = TicketChosen(flow=flow_id, ticket_id=NEW_REQUEST).pack()
    return inline([*_add_to_rows(org, flow_id, tickets), [(_("📝 A new request"), new)]])


# Where an open ticket stands, for a resident who asks ("进度怎么样了？").
NEWS_STATES = {
    TicketStatus.NEW: N_("received; the property office will respond by {time}"),
    TicketStatus.ACKNOWLEDGED: N_("taken by the property office; to be resolved by {time}"),
    TicketStatus.IN_PROGRESS: N_("being worked on; to be resolved by {time}"),
    TicketStatus.WAITING_ON_RESIDENT: N_("the property office is waiting for your answer"),
    TicketStatus.RESOLVED: N_("resolved; please tell us whether it is fixed"),
}
NEWS_LATE = {
    TicketStatus.NEW: N_("received; the answer was due {time}, sorry for the wait"),
    TicketStatus.ACKNOWLEDGED: N_(
        "taken by the property office; it was due {time}, sorry it is late"
    ),
    TicketStatus.IN_PROGRESS: N_("being worked on; it was due {time}, sorry it is late"),
}


def ticket_news(org: Organisation, flow_id: int, tickets: list[OpenTicket], now: datetime) -> Reply:
    """Where each open ticket stands; the resident's words may still go to one of them
    (or be a new request), as when asked which ticket a message is about."""
    lines = [_("Where your open requests stand:")]
    for t in tickets:
        late = t.due_at is not None and t.due_at < now and t.status in NEWS_LATE
        template = NEWS_LATE[t.status] if late else NEWS_STATES[t.status]
        state = _(template).format(time=local_time(t.due_at, org.zone(t.project_key)))
        ticket = f"{STATUS_ICONS[t.status]} <b>{t.number}</b> · {html.escape(_about(org, t))}"
        lines.append(_("{ticket} — {state}").format(ticket=ticket, state=state))
    lines += ["", _("Tap one to add your message to it, or file it as a new request.")]
    return Reply("\n".join(lines), _which_keyboard(org, flow_id, tickets))


def which_ticket(
    org: Organisation, flow_id: int, tickets: list[OpenTicket], *, waiting: bool
) -> Reply:
    """Several tickets are open (``waiting`` for the resident's answer, or not): which one
    is this about, or is it new?"""
    numbers = listed(get_i18n().current_locale, (t.number for t in tickets))
    if waiting:
        question = _(
            "The property office is waiting for your answer on {numbers}. Which one is this about?"
        )
    else:
        question = _(
            "You have open tickets {numbers}. Is this about one of them, or a new request?"
        )
    return Reply(question.format(numbers=numbers), _which_keyboard(org, flow_id, tickets))


def added_to(number: str, photos: int) -> str:
    """The resident's words (or photos) went to a ticket as a comment."""
    if photos:
        return ngettext(
            "💬 Added to {number} with {count} photo; the property office sees it.",
            "💬 Added to {number} with {count} photos; the property office sees it.",
            photos,
        ).format(number=html.escape(number), count=photos)
    return _("💬 Added to {number}; the property office sees it.").format(
        number=html.escape(number)
    )


def offer(
    flow_id: int,
    found: Offer,
    org: Organisation,
    proposal: QuickOffer | None = None,
    open_tickets: list[OpenTicket] | None = None,
) -> Reply:
    """ "Shall I pass this on?": as one proposal to confirm when it is clear, else by kind."""
    quoted = html.escape(found.description)
    if proposal is not None:
        if proposal.place_label is not None and proposal.area_project_id is not None:
            template = _(
                "I can pass this on to the property office as a {kind} about "
                "<b>{category}</b> in the common area (<b>{place}</b>):\n“{text}”"
            )
        elif proposal.place_label is not None:
            template = _(
                "I can pass this on to the property office as a {kind} about "
                "<b>{category}</b> at <b>{place}</b>:\n“{text}”"
            )
        else:
            template = _(
                "I can pass this on to the property office as a {kind} about <b>{category}</b>:"
                "\n“{text}”"
            )
        text = template.format(
            kind=kind_label(proposal.kind).lower(),
            category=html.escape(category_label(org, proposal.category_key)),
            place=html.escape(proposal.place_label or ""),
            text=quoted,
        )
        rows: list[Row] = [
            [(_("✅ Yes, that's right"), OfferChoice(flow=flow_id, kind=FILE_AS_PROPOSED).pack())],
            *_add_to_rows(org, flow_id, open_tickets or []),
            [
                (_("✏️ Something else"), OfferChoice(flow=flow_id, kind=OTHER_KIND).pack()),
                (_("No, thanks"), OfferChoice(flow=flow_id, kind=NO_THANKS).pack()),
            ],
        ]
        return Reply(text, inline(rows))
    question = _("Shall I pass this on to the property office?\n“{text}”").format(text=quoted)
    if not found.has_unit:
        question += "\n" + _("(Register your unit in /profile to report repairs and complaints.)")
    about = ""
    if found.category_key is not None:
        about = _("It sounds like: {category}.").format(
            category=html.escape(category_label(org, found.category_key))
        )
    rows = [*_add_to_rows(org, flow_id, open_tickets or []), *_kind_rows(flow_id, found)]
    return Reply(f"{question}\n{about}".strip(), inline(rows))


def hotline_alert(number: str | None) -> str:
    """Shown before anything else when a report sounds dangerous."""
    if number is None:
        return _(
            "⚠️ <b>If anyone is in danger, leave the area and call 119 (fire) or 120 "
            "(ambulance) now.</b> I am passing your report on to the property office."
        )
    return _(
        "⚠️ <b>If anyone is in danger, call our 24-hour emergency line now: {number}</b>\n"
        "For fire or injuries call 119 / 120. I am passing your report on to the property "
        "office as well."
    ).format(number=html.escape(number))
