"""Everything held about one resident, as a document they can keep (access and copy)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import (
    Attachment,
    Building,
    OrgUnit,
    Person,
    PropertyUnit,
    SurveyResponse,
    Ticket,
    TicketEvent,
    TicketFollower,
)
from storage.models.residents import BindingRequest, ResidentUnit


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None


async def _unit_label(session: AsyncSession, unit_id: int | None) -> str | None:
    if unit_id is None:
        return None
    row = (
        await session.execute(
            select(OrgUnit.name, Building.name, PropertyUnit.key)
            .join(Building, Building.id == PropertyUnit.building_id)
            .join(OrgUnit, OrgUnit.id == Building.project_id)
            .where(PropertyUnit.id == unit_id)
        )
    ).one_or_none()
    return " ".join(row) if row else None


async def personal_data(session: AsyncSession, person: Person) -> dict[str, Any]:
    """The resident's own data only: never other residents', never staff-internal notes."""
    units = (
        await session.scalars(select(ResidentUnit).where(ResidentUnit.person_id == person.id))
    ).all()
    requests = (
        await session.scalars(select(BindingRequest).where(BindingRequest.person_id == person.id))
    ).all()
    followed = select(TicketFollower.ticket_id).where(TicketFollower.person_id == person.id)
    tickets = (
        await session.scalars(
            select(Ticket)
            .where((Ticket.resident_id == person.id) | Ticket.id.in_(followed))
            .order_by(Ticket.id)
        )
    ).all()
    answers = (
        await session.scalars(
            select(SurveyResponse)
            .where(SurveyResponse.person_id == person.id)
            .order_by(SurveyResponse.id)
        )
    ).all()
    return {
        "profile": {
            "telegram_id": person.telegram_id,
            "name": person.full_name,
            "phone": person.phone,
            "language": person.language,
            "segment": person.segment,
            "registered_at": _iso(person.created_at),
            "last_seen_at": _iso(person.last_seen_at),
        },
        "consents": [
            {"notice_version": person.consent_version, "given_at": _iso(person.consented_at)}
        ]
        if person.consented_at
        else [],
        "units": [
            {
                "unit": await _unit_label(session, u.property_unit_id),
                "bound_at": _iso(u.bound_at),
                "via": u.via,
            }
            for u in units
        ],
        "unit_requests": [
            {
                "unit": await _unit_label(session, r.property_unit_id),
                "status": r.status.value,
                "requested_at": _iso(r.requested_at),
            }
            for r in requests
        ],
        "tickets": [await _ticket(session, t, person) for t in tickets],
        "survey_answers": [
            {
                "ticket_id": a.ticket_id,
                "campaign": a.campaign_key,
                "question": a.question_key,
                "score": a.score,
                "text": a.text,
                "answered_at": _iso(a.answered_at),
            }
            for a in answers
        ],
    }


async def _ticket(session: AsyncSession, ticket: Ticket, person: Person) -> dict[str, Any]:
    events = (
        await session.scalars(
            select(TicketEvent)
            .where(TicketEvent.ticket_id == ticket.id, TicketEvent.internal.is_(False))
            .order_by(TicketEvent.id)
        )
    ).all()
    photos = (
        await session.scalars(
            select(Attachment.file_unique_id).where(
                Attachment.ticket_id == ticket.id, Attachment.author_id == person.id
            )
        )
    ).all()
    own = ticket.resident_id == person.id
    return {
        "number": ticket.number,
        "role": "filed" if own else "joined",
        "kind": ticket.kind.value,
        "category": ticket.category_key,
        "status": ticket.status.value,
        "unit": await _unit_label(session, ticket.property_unit_id) if own else None,
        "place": ticket.location_text if own else None,
        "description": ticket.description if own else None,
        "created_at": _iso(ticket.created_at),
        "resolved_at": _iso(ticket.resolved_at),
        "photos_sent": list(photos),
        "history": [
            {
                "at": _iso(e.at),
                "what": e.kind,
                "status": e.to_status,
                # Staff replies are addressed to them; other residents' words are not theirs.
                "text": e.body if e.actor_id == person.id or e.kind == "reply" else None,
            }
            for e in events
        ],
    }


def summary_lines(data: dict[str, Any]) -> dict[str, int]:
    """Counts for the readable summary beside the JSON."""
    return {
        "units": len(data["units"]),
        "tickets": len(data["tickets"]),
        "answers": len(data["survey_answers"]),
        "consents": len(data["consents"]),
    }
