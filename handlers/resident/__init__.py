"""The resident side in private chat: registration, units, filing and following tickets.

Also the staff group's Approve / Reject of unit requests, which residents cause.
"""

from __future__ import annotations

from aiogram import Router

from handlers.resident import (
    approval,
    binding,
    filing,
    follow_up,
    free_text,
    menu,
    profile,
    registration,
    reprompts,
    tickets,
)


def build_router() -> Router:
    router = Router(name="resident")
    # Order matters: a step's own handlers before the catch-alls at the end.
    router.include_routers(
        approval.build_router(),
        registration.build_router(),
        menu.build_router(),
        binding.build_router(),
        filing.build_router(),
        follow_up.build_router(),
        tickets.build_router(),
        profile.build_router(),
        free_text.build_router(),
        reprompts.build_router(),
    )
    return router
