"""All ORM models; importing this package registers every table on ``Base.metadata``."""

from storage.models.announcements import (
    Announcement,
    AnnouncementMute,
    Incident,
    IncidentTicket,
    SelfServiceEvent,
)
from storage.models.audit import AuditEntry
from storage.models.base import Base
from storage.models.delivery import (
    FsmRecord,
    InboundStatus,
    InboundUpdate,
    OutboxMessage,
    OutboxStatus,
)
from storage.models.invites import StaffInvite
from storage.models.org import Building, OrgUnit, PropertyUnit
from storage.models.people import Person, StaffMembership
from storage.models.residents import (
    BindingRequest,
    BindingStatus,
    ResidentUnit,
    UnitCode,
    UnitCodeAttempt,
)
from storage.models.sla import InactiveChat, SlaNotice
from storage.models.surveys import (
    InvitationKind,
    InvitationStage,
    SurveyCampaign,
    SurveyInvitation,
    SurveyResponse,
)
from storage.models.tickets import (
    Attachment,
    Ticket,
    TicketEvent,
    TicketEventKind,
    TicketFollower,
)
from storage.vocabulary import (
    Language,
    OrgLevel,
    ProjectKind,
    Segment,
    StaffRole,
    TicketKind,
    TicketStatus,
    UnitKind,
)

__all__ = [
    "Announcement",
    "AnnouncementMute",
    "Attachment",
    "AuditEntry",
    "Base",
    "BindingRequest",
    "BindingStatus",
    "Building",
    "FsmRecord",
    "InactiveChat",
    "InboundStatus",
    "InboundUpdate",
    "Incident",
    "IncidentTicket",
    "InvitationKind",
    "InvitationStage",
    "Language",
    "OrgLevel",
    "OrgUnit",
    "OutboxMessage",
    "OutboxStatus",
    "Person",
    "ProjectKind",
    "PropertyUnit",
    "ResidentUnit",
    "Segment",
    "SelfServiceEvent",
    "SlaNotice",
    "StaffInvite",
    "StaffMembership",
    "StaffRole",
    "SurveyCampaign",
    "SurveyInvitation",
    "SurveyResponse",
    "Ticket",
    "TicketEvent",
    "TicketEventKind",
    "TicketFollower",
    "TicketKind",
    "TicketStatus",
    "UnitCode",
    "UnitCodeAttempt",
    "UnitKind",
]
