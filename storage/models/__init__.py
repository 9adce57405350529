"""All ORM models; importing this package registers every table on ``Base.metadata``."""

from storage.models.audit import AuditEntry
from storage.models.base import Base
from storage.models.delivery import (
    FsmRecord,
    InboundStatus,
    InboundUpdate,
    OutboxMessage,
    OutboxStatus,
)
from storage.models.org import Building, OrgLevel, OrgUnit, ProjectKind, PropertyUnit
from storage.models.people import Person, StaffMembership, StaffRole
from storage.models.surveys import SurveyResponse
from storage.models.tickets import (
    Attachment,
    Ticket,
    TicketEvent,
    TicketEventKind,
    TicketFollower,
    TicketKind,
    TicketStatus,
)

__all__ = [
    "Attachment",
    "AuditEntry",
    "Base",
    "Building",
    "FsmRecord",
    "InboundStatus",
    "InboundUpdate",
    "OrgLevel",
    "OrgUnit",
    "OutboxMessage",
    "OutboxStatus",
    "Person",
    "ProjectKind",
    "PropertyUnit",
    "StaffMembership",
    "StaffRole",
    "SurveyResponse",
    "Ticket",
    "TicketEvent",
    "TicketEventKind",
    "TicketFollower",
    "TicketKind",
    "TicketStatus",
]
