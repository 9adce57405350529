"""Binding a resident to a unit by approval: the request card in the project's staff group
(with Approve / Reject), the card as it reads after the decision, and the resident's news."""

from __future__ import annotations

import html

from sqlalchemy.ext.asyncio import AsyncSession

from bot.i18n import N_, translate
from bot.presentation.announce import renders
from bot.presentation.buttons.binding import BindingDecision, Verdict
from bot.presentation.recipients import recipient_of, staff_group, tell
from bot.services.context import Context
from bot.services.resident_units import unit_label
from bot.services.unit_binding import (
    BindingDecided,
    BindingRequested,
    Decision,
    RequestCard,
    request_card,
)
from storage.models import BindingRequest, OrgUnit

REQUEST_CARD = N_(
    "🏠 <b>Unit confirmation request</b> #{request_id}\n"
    "{name} asks to be registered as a resident of {unit}.\n"
    "Phone: {phone}\n\n"
    "Approve only if this matches your records."
)
APPROVE_BUTTON = N_("✅ Approve")
REJECT_BUTTON = N_("❌ Reject")
APPROVED_BY = N_("✅ Approved by {staff}")
REJECTED_BY = N_("❌ Rejected by {staff}")
TOLD_APPROVED = N_(
    "✅ The property office confirmed your unit {unit}. You can now file requests for it."
)
TOLD_REJECTED = N_(
    "The property office could not confirm your unit {unit}. If this is a mistake, "
    "please contact the office or ask them for a unit code."
)


def card_text(locale: str, card: RequestCard) -> str:
    return translate(
        locale,
        REQUEST_CARD,
        request_id=card.request_id,
        name=html.escape(card.resident_name),
        unit=html.escape(card.unit),
        phone=card.masked_phone,
    )


def decided_card_text(locale: str, decision: Decision) -> str:
    """The request card as it reads once decided (the buttons go)."""
    verdict = translate(
        locale,
        APPROVED_BY if decision.approved else REJECTED_BY,
        staff=html.escape(decision.staff_name),
    )
    return f"{card_text(locale, decision.card)}\n\n{verdict}"


@renders(BindingRequested)
async def binding_requested(session: AsyncSession, ctx: Context, notice: BindingRequested) -> None:
    request = await session.get(BindingRequest, notice.request_id)
    assert request is not None
    project = await session.get(OrgUnit, request.project_id)
    group = staff_group(project)
    if group is None or project is None:
        return
    locale = ctx.group_locale_of(project.key)
    buttons = [
        {
            "text": translate(locale, label),
            "callback_data": BindingDecision(action=verdict, request_id=request.id).pack(),
        }
        for verdict, label in ((Verdict.APPROVE, APPROVE_BUTTON), (Verdict.REJECT, REJECT_BUTTON))
    ]
    await group.post(
        session,
        card_text(locale, await request_card(session, request)),
        reply_markup={"inline_keyboard": [buttons]},
        now=ctx.now,
    )


@renders(BindingDecided)
async def binding_decided(session: AsyncSession, ctx: Context, notice: BindingDecided) -> None:
    request = await session.get(BindingRequest, notice.request_id)
    assert request is not None
    recipient = await recipient_of(session, request.person_id, ctx.group_locale)
    label = await unit_label(session, request.property_unit_id)
    if recipient is None or label is None:
        return
    told = TOLD_APPROVED if notice.approved else TOLD_REJECTED
    unit = label.named_for(ctx.org, recipient.locale).full
    await tell(session, ctx, recipient, told, unit=html.escape(unit))
