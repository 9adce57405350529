"""The complaint feedback loop: a low rating becomes a follow-up for the managers.

The rated ticket's project group gets the score, the reasons and the comment
with a "call back" button, and the follow-up is a linked complaint ticket
(``parent_ticket_id``) so it has its own SLA, card and escalations. A manager
who presses the button takes the follow-up and sees the resident's phone (only
them: the alert is private, and the view is audited). A follow-up that is itself
rated low is not followed up again; the region above is told instead.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from bot.config.orgfile import Organisation
from bot.i18n import N_, listed, translate
from bot.services import access, audit
from bot.services.context import Context
from bot.services.people import Actor
from bot.services.surveys.errors import (
    FollowupAlreadyTaken,
    StaleSurvey,
    SurveyError,
)
from bot.services.surveys.notices import LowScore
from bot.services.tickets import lifecycle
from bot.services.tickets.lifecycle import AlreadyTaken, StaleAction, TicketDraft
from bot.services.tickets.transitions import IllegalTransition
from storage.models import OrgUnit, Person, Ticket, TicketKind

# The follow-up ticket's description: stored with the ticket, in the staff's language.
FOLLOWUP_DESCRIPTION = N_(
    "Follow-up on {number}: the resident rated it {score}/5.\n"
    "Reasons: {reasons}\nComment: {comment}\nPlease call the resident back."
)
NOTHING = N_("—")


@dataclass(frozen=True)
class FollowupTaken:
    number: str
    resident_name: str
    phone: str | None
    taker_name: str


def reason_names(org: Organisation, locale: str, keys: Sequence[str]) -> str:
    """The reason chips' names in ``locale``, as one line."""
    chips = {c.key: c for c in [*org.survey.low_reasons, *org.survey.high_reasons]}
    return listed(locale, [chips[key].name.get(locale) if key in chips else key for key in keys])


def _complaint_category(ctx: Context, key: str | None) -> str | None:
    try:
        return key if key and ctx.org.category(key).accepts(TicketKind.COMPLAINT.value) else None
    except KeyError:
        return None


def _followup_description(
    ctx: Context, ticket: Ticket, score: int, reasons: list[str], comment: str | None
) -> str:
    """The follow-up ticket's description, in the staff's language."""
    locale = ctx.group_locale
    return translate(
        locale,
        FOLLOWUP_DESCRIPTION,
        number=ticket.number,
        score=score,
        reasons=reason_names(ctx.org, ctx.group_locale, reasons) or translate(locale, NOTHING),
        comment=comment or translate(locale, NOTHING),
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
    """Open the follow-up ticket and alert the project group; ``None`` for a repeat (a
    follow-up rated low: the region above is told instead, when it has a group)."""
    project = await session.get(OrgUnit, ticket.project_id)
    assert project is not None
    followup: Ticket | None = None
    if ticket.parent_ticket_id is not None:
        above = await session.get(OrgUnit, project.parent_id) if project.parent_id else None
        told = above if above is not None and above.group_chat_id else project
        action, data = "survey.low_score_again", {"score": score}
    else:
        followup = await lifecycle.create_ticket(
            session,
            ctx,
            resident,
            TicketDraft(
                project_id=ticket.project_id,
                kind=TicketKind.COMPLAINT,
                description=_followup_description(ctx, ticket, score, reasons, comment),
                category_key=_complaint_category(ctx, ticket.category_key),
                property_unit_id=ticket.property_unit_id,
            ),
        )
        followup.parent_ticket_id = ticket.id
        told = project
        action, data = "survey.low_score", {"score": score, "rated_ticket_id": ticket.id}
    followup_id = followup.id if followup is not None else None
    await ctx.announce(
        session,
        LowScore(ticket.id, resident.id, score, tuple(reasons), comment, told.id, followup_id),
    )
    await audit.record(
        session,
        ctx.now,
        None,
        action,
        org_unit_id=project.id,
        ticket_id=followup_id or ticket.id,  # the follow-up, else the rated ticket
        subject_person_id=resident.id,
        data=data,
    )
    await session.flush()
    return followup


async def take_followup(
    session: AsyncSession, ctx: Context, actor: Actor, followup_id: int
) -> FollowupTaken:
    """A manager takes the call-back: it is assigned to them and they see the phone.

    Refuses with ``FollowupsForManagers`` (audited here, with the unit), ``FollowupAlreadyTaken``
    or a ``SurveyError`` (the follow-up moved on or is closed).
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
        raise access.FollowupsForManagers
    try:
        ticket = await lifecycle.take(session, ctx, followup_id, actor, None)
    except AlreadyTaken as taken:
        raise FollowupAlreadyTaken(name=taken.holder_name or "—") from None
    except (StaleAction, IllegalTransition) as error:
        # Answered like any stale survey button: not audited.
        raise SurveyError(error.reason, code=error.code, **error.values) from None
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
