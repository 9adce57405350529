"""Buttons of binding a resident to a unit.

``rb:<step>:<id>``: the resident's own steps (code, or project → building → unit);
``ub:<verdict>:<request>``: staff approve or reject a request in the project's group.
"""

from __future__ import annotations

import enum

from aiogram.filters.callback_data import CallbackData


class BindStep(enum.StrEnum):
    CODE = "code"
    PICK = "pick"
    LATER = "later"
    PROJECTS = "projects"  # « Back from the buildings: the projects again, in place
    PROJECT = "project"
    BUILDING = "building"
    UNIT = "unit"


class BindChoice(CallbackData, prefix="rb"):
    what: BindStep
    id: int = 0


class Verdict(enum.StrEnum):
    APPROVE = "ok"
    REJECT = "no"


class BindingDecision(CallbackData, prefix="ub"):
    """Pressed in the project's staff group; the first decision wins."""

    action: Verdict
    request_id: int
