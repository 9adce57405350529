"""The words of the domain, defined once: what kind a ticket is and where it stands,
who someone is, and how the organisation is built.

Stored in the database (as their string values), named by the organisation file and
used by every layer above. Plain ``StrEnum``s with no SQLAlchemy, so that the
configuration can use them without loading the ORM; a member equals its string.
"""

from __future__ import annotations

import enum


class OrgLevel(enum.StrEnum):
    HQ = "hq"
    REGION = "region"
    PROJECT = "project"


class ProjectKind(enum.StrEnum):
    RESIDENTIAL = "residential"
    COMMERCIAL = "commercial"
    PUBLIC = "public"


class UnitKind(enum.StrEnum):
    APARTMENT = "apartment"
    SHOP = "shop"
    OFFICE = "office"
    ROOM = "room"
    PARKING = "parking"
    STORAGE = "storage"
    OTHER = "other"


class StaffRole(enum.StrEnum):
    AGENT = "agent"
    MANAGER = "manager"
    ADMIN = "admin"


class Segment(enum.StrEnum):
    """What kind of resident someone is; SLA rules may promise a segment more."""

    OWNER = "owner"
    TENANT = "tenant"
    COMMERCIAL = "commercial"
    VIP = "vip"


class Language(enum.StrEnum):
    """The languages people may choose (``bot.i18n`` ships a catalog for each)."""

    ZH_CN = "zh_CN"
    EN = "en"


class TicketKind(enum.StrEnum):
    REPAIR = "repair"
    COMPLAINT = "complaint"
    SUGGESTION = "suggestion"
    INQUIRY = "inquiry"


class TicketStatus(enum.StrEnum):
    NEW = "new"
    ACKNOWLEDGED = "acknowledged"
    IN_PROGRESS = "in_progress"
    WAITING_ON_RESIDENT = "waiting_on_resident"
    RESOLVED = "resolved"
    CLOSED = "closed"
    CANCELLED = "cancelled"
