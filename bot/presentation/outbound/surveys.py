"""Survey messages queued in the outbox: the "is it fixed?" reminder, the assignee's
note of a re-open, the low-score alert to the managers, and questionnaire invitations
and reminders (all due at once: the outbox sender paces them as fast as Telegram allows,
after the conversations' messages)."""

from __future__ import annotations

import html
from collections.abc import Callable
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.i18n import N_, NP_, pick_locale, translate, translate_plural
from bot.presentation import outbox
from bot.presentation.announce import renders
from bot.presentation.buttons import as_payload
from bot.presentation.buttons.surveys import SurveyAction, SurveyButton
from bot.presentation.outbound.residents import fixed_keyboard
from bot.presentation.recipients import recipient_of, staff_group, tell
from bot.presentation.texts import initials, local_time, project_label
from bot.services.context import Context
from bot.services.surveys.campaigns import campaign_ref, invite_key
from bot.services.surveys.complaints import NOTHING, reason_names
from bot.services.surveys.notices import (
    CampaignReminder,
    CampaignStarted,
    Invitee,
    LowScore,
    NotFixedToAssignee,
    SurveyReminder,
)
from storage.models import OrgUnit, Person, Ticket

REMINDER = N_(
    "⏰ Reminder: ticket {number} has been resolved. Is the problem fixed?\n"
    "If we do not hear from you, the ticket will be closed on {close_at}."
)
REOPENED_FOR_ASSIGNEE = N_("↩️ The resident says {number} is not fixed: {reason}")
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
INVITATION = NP_(
    "📋 <b>Satisfaction survey</b>\n"
    "How are we doing at {project}? {count} short question, about two minutes. "
    "You can stop at any time and continue later with /survey.",
    "📋 <b>Satisfaction survey</b>\n"
    "How are we doing at {project}? {count} short questions, about two minutes. "
    "You can stop at any time and continue later with /survey.",
)
CAMPAIGN_REMINDER = N_(
    "⏰ Our satisfaction survey is still open and your opinion matters to us. "
    "Continue where you left off, or start it now."
)
START_BUTTON = N_("Start the survey")
CONTINUE_BUTTON = N_("Continue the survey")


def _keyboard(*rows: list[tuple[str, str]]) -> dict[str, Any]:
    """An outbox ``reply_markup`` from rows of (label, packed callback data)."""
    return {
        "inline_keyboard": [
            [{"text": text, "callback_data": data} for text, data in row] for row in rows
        ]
    }


def _open_button(locale: str, label: str, invitation_id: int) -> dict[str, Any]:
    data = SurveyButton(action=SurveyAction.OPEN, target_id=invitation_id).pack()
    return _keyboard([(translate(locale, label), data)])


@renders(SurveyReminder)
async def survey_reminder(session: AsyncSession, ctx: Context, notice: SurveyReminder) -> None:
    ticket = await session.get(Ticket, notice.ticket_id)
    recipient = await recipient_of(session, notice.person_id, ctx.group_locale)
    if ticket is None or recipient is None:
        return
    project = await session.get(OrgUnit, ticket.project_id)
    zone = ctx.org.zone(project.key if project else None)
    locale = recipient.locale
    await outbox.enqueue_text(
        session,
        chat_id=recipient.chat_id,
        text=translate(
            locale, REMINDER, number=ticket.number, close_at=local_time(notice.close_at, zone)
        ),
        reply_markup=as_payload(fixed_keyboard(ticket, locale)),
        now=ctx.now,
        dedup_key=f"survey-reminder:{notice.invitation_id}",
    )


@renders(NotFixedToAssignee)
async def not_fixed_to_assignee(
    session: AsyncSession, ctx: Context, notice: NotFixedToAssignee
) -> None:
    recipient = await recipient_of(session, notice.assignee_id, ctx.group_locale)
    ticket = await session.get(Ticket, notice.ticket_id)
    if recipient is None or ticket is None:
        return
    await tell(
        session,
        ctx,
        recipient,
        REOPENED_FOR_ASSIGNEE,
        number=ticket.number,
        reason=html.escape(notice.reason),
    )


@renders(LowScore)
async def low_score(session: AsyncSession, ctx: Context, notice: LowScore) -> None:
    unit = await session.get(OrgUnit, notice.unit_id)
    group = staff_group(unit)
    if group is None or unit is None:
        return
    rated = await session.get(Ticket, notice.ticket_id)
    resident = await session.get(Person, notice.resident_id)
    assert rated is not None and resident is not None
    locale = ctx.group_locale_of(unit.key)
    nothing = translate(locale, NOTHING)
    fields = {
        "resident": html.escape(initials(resident.full_name)),
        "number": rated.number,
        "score": notice.score,
        "reasons": html.escape(reason_names(ctx.org, ctx.group_locale, notice.reasons)) or nothing,
        "comment": html.escape(notice.comment) if notice.comment else nothing,
    }
    markup = None
    if notice.followup_id is None:
        text = translate(locale, ALERT_AGAIN, **fields)
    else:
        followup = await session.get(Ticket, notice.followup_id)
        assert followup is not None
        text = translate(locale, ALERT, followup=followup.number, **fields)
        call_back = SurveyButton(action=SurveyAction.FOLLOW_UP, target_id=followup.id).pack()
        markup = _keyboard([(translate(locale, FOLLOW_UP_BUTTON), call_back)])
    await group.post(session, text, reply_markup=markup, now=ctx.now)


async def _mailing(
    session: AsyncSession,
    ctx: Context,
    campaign_key: str,
    invitees: tuple[Invitee, ...],
    text_in: Callable[[str, Invitee], str],
    button: str,
    dedup_key: Callable[[Invitee], str],
) -> None:
    """One message with the Start/Continue button to each invitee (the sender paces them)."""
    messages = []
    for invitee in invitees:
        locale = pick_locale(invitee.language, invitee.telegram_language, ctx.group_locale)
        payload = {
            "text": text_in(locale, invitee),
            "parse_mode": "HTML",
            "reply_markup": _open_button(locale, button, invitee.invitation_id),
        }
        messages.append(outbox.Outgoing(invitee.chat_id, payload, dedup_key=dedup_key(invitee)))
    await outbox.enqueue_many(session, messages, now=ctx.now, ref=campaign_ref(campaign_key))


@renders(CampaignStarted)
async def campaign_started(session: AsyncSession, ctx: Context, notice: CampaignStarted) -> None:
    project_ids = {invitee.project_id for invitee in notice.invitees}
    projects: dict[int | None, tuple[str, str]] = {
        unit_id: (key, name)
        for unit_id, key, name in await session.execute(
            select(OrgUnit.id, OrgUnit.key, OrgUnit.name).where(OrgUnit.id.in_(project_ids))
        )
    }

    def text_in(locale: str, invitee: Invitee) -> str:
        key, name = projects.get(invitee.project_id, ("", ""))
        project = html.escape(project_label(ctx.org, locale, key, name))
        count = notice.question_count
        return translate_plural(locale, INVITATION, count, project=project, count=count)

    await _mailing(
        session,
        ctx,
        notice.campaign_key,
        notice.invitees,
        text_in,
        START_BUTTON,
        lambda invitee: invite_key(notice.campaign_key, invitee.person_id),
    )


@renders(CampaignReminder)
async def campaign_reminder(session: AsyncSession, ctx: Context, notice: CampaignReminder) -> None:
    await _mailing(
        session,
        ctx,
        notice.campaign_key,
        notice.invitees,
        lambda locale, _invitee: translate(locale, CAMPAIGN_REMINDER),
        CONTINUE_BUTTON,
        lambda invitee: f"survey-remind:{notice.campaign_key}:{invitee.person_id}",
    )
