"""The organisation file: HQ → regions → projects, staff, ticket categories and SLA.

Typical use::

    from bot.config.orgfile import load_organisation

    org = load_organisation("organisation.toml")       # raises OrgFileError
    targets = org.sla.targets_for("repair", "water", urgent=True)

``check_organisation(path)`` returns every problem instead of raising; run
``python -m bot.config.orgfile PATH`` to check a file from the command line.
"""

from .durations import Duration, format_duration, parse_duration
from .loader import EXAMPLE_ORGANISATION_PATH, check_organisation, load_organisation
from .models import (
    Building,
    Category,
    CategoryKeywords,
    Hq,
    LocalizedText,
    Organisation,
    OrgUnit,
    Project,
    Region,
    SlaPolicy,
    SlaRule,
    SlaTargets,
    Staff,
    UnitSpec,
    display_name,
)
from .problems import OrgFileError, Problem

__all__ = [
    "EXAMPLE_ORGANISATION_PATH",
    "Building",
    "Category",
    "CategoryKeywords",
    "Duration",
    "Hq",
    "LocalizedText",
    "OrgFileError",
    "OrgUnit",
    "Organisation",
    "Problem",
    "Project",
    "Region",
    "SlaPolicy",
    "SlaRule",
    "SlaTargets",
    "Staff",
    "UnitSpec",
    "check_organisation",
    "display_name",
    "format_duration",
    "load_organisation",
    "parse_duration",
]
