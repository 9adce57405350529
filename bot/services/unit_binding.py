"""Binding to a unit by approval: the project's staff group confirms or refuses.

The request is posted to the project's staff group (through the outbox) with
Approve / Reject buttons; only staff of that project (or above it) may press
them, and the first decision wins.
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.config.orgfile import Organisation
from bot.i18n import N_, normalise_locale, translate
from bot.services import access, audit, outbox
from bot.services.notifications.recipients import recipient_for
from bot.services.people import Actor
from bot.services.resident_units import UnitLabel, bind, is_bound, unit_label
from storage.models import BindingRequest, BindingStatus, OrgUnit, Person

BINDING_PREFIX = "ub"
APPROVE, REJECT = "ok", "no"

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


class BindingError(Exception):
    """Refused; ``reason`` is a msgid the caller translates."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class Decision:
    approved: bool
    group_text: str  # the request card as it reads after the decision


def binding_button(action: str, request_id: int) -> str:
    return f"{BINDING_PREFIX}:{action}:{request_id}"


def mask_phone(phone: str | None) -> str:
    """Enough for staff to compare with their records, not enough to call."""
    if not phone:
        return "—"
    return phone[:4] + "****" + phone[-4:] if len(phone) > 8 else "****"


def _group_locale(org: Organisation) -> str:
    return normalise_locale(org.default_language) or "zh_CN"


def _card(org: Organisation, request: BindingRequest, person: Person, label: UnitLabel) -> str:
    return translate(
        _group_locale(org),
        REQUEST_CARD,
        request_id=request.id,
        name=html.escape(person.full_name or "—"),
        unit=html.escape(label.full),
        phone=mask_phone(person.phone),
    )


async def request_binding(
    session: AsyncSession, org: Organisation, person: Person, unit_id: int, now: datetime
) -> UnitLabel:
    label = await unit_label(session, unit_id)
    project = await session.get(OrgUnit, label.project_id) if label else None
    if label is None or project is None or not project.active:
        raise BindingError(N_("This unit does not exist."))
    if await is_bound(session, person.id, unit_id):
        raise BindingError(N_("You are already registered for this unit."))
    if project.group_chat_id is None:
        raise BindingError(
            N_(
                "This property cannot confirm units in the chat yet. "
                "Please ask its office for a unit code."
            )
        )
    pending = await session.scalar(
        select(BindingRequest.id).where(
            BindingRequest.person_id == person.id,
            BindingRequest.property_unit_id == unit_id,
            BindingRequest.status == BindingStatus.PENDING,
        )
    )
    if pending is not None:
        raise BindingError(
            N_("Your request for this unit is already waiting for the property office.")
        )
    request = BindingRequest(
        person_id=person.id,
        property_unit_id=unit_id,
        project_id=project.id,
        status=BindingStatus.PENDING,
        requested_at=now,
    )
    session.add(request)
    await session.flush()
    locale = _group_locale(org)
    buttons = [
        {
            "text": translate(locale, APPROVE_BUTTON),
            "callback_data": binding_button(APPROVE, request.id),
        },
        {
            "text": translate(locale, REJECT_BUTTON),
            "callback_data": binding_button(REJECT, request.id),
        },
    ]
    payload: dict = {
        "text": _card(org, request, person, label),
        "parse_mode": "HTML",
        "reply_markup": {"inline_keyboard": [buttons]},
    }
    if project.group_thread_id:
        payload["message_thread_id"] = project.group_thread_id
    await outbox.enqueue(
        session, chat_id=project.group_chat_id, method="sendMessage", payload=payload, now=now
    )
    return label


async def pending_requests(session: AsyncSession, person_id: int) -> list[UnitLabel]:
    unit_ids = (
        await session.scalars(
            select(BindingRequest.property_unit_id).where(
                BindingRequest.person_id == person_id,
                BindingRequest.status == BindingStatus.PENDING,
            )
        )
    ).all()
    labels = [await unit_label(session, unit_id) for unit_id in unit_ids]
    return [label for label in labels if label is not None]


async def decide(
    session: AsyncSession,
    org: Organisation,
    actor: Actor,
    request_id: int,
    approve: bool,
    now: datetime,
) -> Decision:
    request = await session.get(BindingRequest, request_id)
    if request is None:
        raise BindingError(N_("This request does not exist."))
    if request.project_id not in await access.staff_project_ids(session, actor):
        await audit.refused(
            session,
            now,
            actor,
            "unit_binding.decide",
            "not_project_staff",
            org_unit_id=request.project_id,
        )
        raise access.AccessDenied(
            N_("Only staff of this project can confirm its residents."), code="not_project_staff"
        )
    status = BindingStatus.APPROVED if approve else BindingStatus.REJECTED
    # The first decision wins, even when two staff press at the same moment.
    result = await session.execute(
        update(BindingRequest)
        .where(BindingRequest.id == request_id, BindingRequest.status == BindingStatus.PENDING)
        .values(status=status, decided_at=now, decided_by_id=actor.person_id)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        raise BindingError(N_("This request has already been decided."))
    person = await session.get(Person, request.person_id)
    label = await unit_label(session, request.property_unit_id)
    assert person is not None and label is not None
    if approve:
        await bind(session, person.id, label.unit_id, "approval", now)
    await audit.record(
        session,
        now,
        actor,
        f"unit_binding.{status.value}",
        org_unit_id=request.project_id,
        subject_person_id=person.id,
        data={"request_id": request.id, "unit_id": label.unit_id},
    )
    recipient = recipient_for(person, _group_locale(org))
    if recipient is not None:
        told = translate(
            recipient.locale,
            TOLD_APPROVED if approve else TOLD_REJECTED,
            unit=html.escape(label.full),
        )
        await outbox.enqueue_text(session, chat_id=recipient.chat_id, text=told, now=now)
    staff = await session.get(Person, actor.person_id) if actor.person_id else None
    verdict = translate(
        _group_locale(org),
        APPROVED_BY if approve else REJECTED_BY,
        staff=html.escape((staff.full_name if staff else None) or "—"),
    )
    return Decision(approve, f"{_card(org, request, person, label)}\n\n{verdict}")
