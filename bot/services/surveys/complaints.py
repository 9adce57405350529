"""The complaint feedback loop: a low rating becomes a follow-up for the managers.

The rated ticket's project group gets the score, the reasons and the comment
with a "call back" button, and the follow-up is a linked complaint ticket
(``parent_ticket_id``) so it has its own SLA, card and escalations. A manager
who presses the button takes the follow-up and sees the resident's phone (only
them: the alert is private, and the view is audited). A follow-up that is itself
rated low is not followed up again; the region above is told instead.
"""

from __future__ import annotations

import html
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from bot.i18n import N_, translate
from bot.services import access, audit, outbox
from bot.services.context import Context
from bot.services.notifications.staff import initials
from bot.services.people import Actor
from bot.services.surveys.buttons import FOLLOW_UP, survey_button
from bot.services.surveys.errors import StaleSurvey
from bot.services.tickets import lifecycle
from bot.services.tickets.lifecycle import TicketDraft
from storage.models import OrgUnit, Person, Ticket, TicketKind

FOLLOWUP_DESCRIPTION = N_(
    "Follow-up on {number}: the resident rated it {score}/5.\n"
    "Reasons: {reasons}\nComment: {comment}\nPlease call the resident back."
)
ALERT = N_(
    "⚠️ <b>Unhappy resident</b>\n{resident} rated {number} {score}/5.\n"
    "Reasons: {reasons}\nComment: {comment}\n\n"
    "Follow-up ticket {followup} is open: press the button to call the resident back."
)
ALERT_AGAIN = N_(
    "⚠️ <b>Still unhappy after a follow-up</b>\n{resident} rated {number} {score}/5.\n"
    "Reasons: {reasons}\nComment: {comment}"
)
FOLLOW_UP_BUTTON = N_("📞 I will call back")
NOTHING = N_("—")
ONLY_MANAGERS = N_("Only managers of this project can take a follow-up.")


@dataclass(frozen=True)
class FollowupTaken:
    number: str
    resident_name: str
    phone: str | None
    taker_name: str


def _reason_names(ctx: Context, keys: list[str]) -> str:
    chips = {c.key: c for c in [*ctx.org.survey.low_reasons, *ctx.org.survey.high_reasons]}
    names = [chips[key].name.get(ctx.group_locale) if key in chips else key for key in keys]
    return ", ".join(names)


def _complaint_category(ctx: Context, key: str | None) -> str | None:
    try:
        return key if key and ctx.org.category(key).accepts(TicketKind.COMPLAINT.value) else None
    except KeyError:
        return None


async def _post(
    session: AsyncSession, ctx: Context, unit: OrgUnit, text: str, markup: dict | None
) -> None:
    if unit.group_chat_id is None:
        return
    payload: dict = {"text": text, "parse_mode": "HTML"}
    if markup is not None:
        payload["reply_markup"] = markup
    if unit.group_thread_id:
        payload["message_thread_id"] = unit.group_thread_id
    await outbox.enqueue(
        session, chat_id=unit.group_chat_id, method="sendMessage", payload=payload, now=ctx.now
    )


async def open_followup(
    session: AsyncSession,
    ctx: Context,
    ticket: Ticket,
    resident: Person,
    score: int,
    *,
    reasons: list[str],
    comment: str | None,
) -> Ticket | None:
    """Open the follow-up ticket and alert the project group; ``None`` for a repeat."""
    locale = ctx.group_locale
    fields = {
        "resident": html.escape(initials(resident.full_name)),
        "number": ticket.number,
        "score": score,
        "reasons": html.escape(_reason_names(ctx, reasons)) or translate(locale, NOTHING),
        "comment": html.escape(comment) if comment else translate(locale, NOTHING),
    }
    project = await session.get(OrgUnit, ticket.project_id)
    assert project is not None
    if ticket.parent_ticket_id is not None:
        above = await session.get(OrgUnit, project.parent_id) if project.parent_id else None
        target = above if above is not None and above.group_chat_id else project
        await _post(session, ctx, target, translate(locale, ALERT_AGAIN, **fields), None)
        await audit.record(
            session,
            ctx.now,
            None,
            "survey.low_score_again",
            org_unit_id=project.id,
            ticket_id=ticket.id,
            subject_person_id=resident.id,
            data={"score": score},
        )
        return None
    description = translate(
        locale,
        FOLLOWUP_DESCRIPTION,
        number=ticket.number,
        score=score,
        reasons=_reason_names(ctx, reasons) or translate(locale, NOTHING),
        comment=comment or translate(locale, NOTHING),
    )
    followup = await lifecycle.create_ticket(
        session,
        ctx,
        resident,
        TicketDraft(
            project_id=ticket.project_id,
            kind=TicketKind.COMPLAINT,
            description=description,
            category_key=_complaint_category(ctx, ticket.category_key),
            property_unit_id=ticket.property_unit_id,
        ),
    )
    followup.parent_ticket_id = ticket.id
    button = {
        "text": translate(locale, FOLLOW_UP_BUTTON),
        "callback_data": survey_button(FOLLOW_UP, followup.id),
    }
    text = translate(locale, ALERT, followup=followup.number, **fields)
    await _post(session, ctx, project, text, {"inline_keyboard": [[button]]})
    await audit.record(
        session,
        ctx.now,
        None,
        "survey.low_score",
        org_unit_id=project.id,
        ticket_id=followup.id,
        subject_person_id=resident.id,
        data={"score": score, "rated_ticket_id": ticket.id},
    )
    await session.flush()
    return followup


async def take_followup(
    session: AsyncSession, ctx: Context, actor: Actor, followup_id: int
) -> FollowupTaken:
    """A manager takes the call-back: it is assigned to them and they see the phone.

    Raises ``AccessDenied`` (not a manager here), ``lifecycle.AlreadyTaken`` or
    ``IllegalTransition`` (already closed).
    """
    ticket = await session.get(Ticket, followup_id)
    if ticket is None or ticket.parent_ticket_id is None:
        raise StaleSurvey
    if not await access.may_manage(session, actor, ticket.project_id):
        await audit.refused(
            session,
            ctx.now,
            actor,
            "survey.followup.take",
            "not_manager",
            org_unit_id=ticket.project_id,
            ticket_id=ticket.id,
        )
        raise access.AccessDenied(ONLY_MANAGERS, code="not_manager")
    ticket = await lifecycle.take(session, ctx, followup_id, actor, None)
    resident = await session.get(Person, ticket.resident_id) if ticket.resident_id else None
    await audit.record(
        session,
        ctx.now,
        actor,
        "personal_data.view",
        org_unit_id=ticket.project_id,
        ticket_id=ticket.id,
        subject_person_id=resident.id if resident else None,
        data={"why": "survey.followup"},
    )
    taker = await session.get(Person, actor.person_id) if actor.person_id else None
    return FollowupTaken(
        ticket.number,
        (resident.full_name if resident else None) or "—",
        resident.phone if resident else None,
        (taker.full_name if taker else None) or "—",
    )
