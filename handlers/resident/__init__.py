"""The resident side: registration, units, filing and following tickets in private chat.

Also the staff group's Approve / Reject of unit requests, which residents cause.
"""

from __future__ import annotations

from aiogram import Router

from handlers.audiences import private_chat
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
    self_service,
    self_service_filing,
    tickets,
)
from handlers.resident.registered import RegisteredResidentMiddleware


def build_private_router() -> Router:
    """The residents' private chat; handlers asking for ``person`` get the registered resident."""
    router = private_chat("resident.private")
    registered = RegisteredResidentMiddleware()
    router.message.middleware(registered)
    router.callback_query.middleware(registered)
    # Order matters: a step's own handlers before the catch-alls at the end.
    router.include_routers(
        registration.build_router(),
        menu.build_router(),
        binding.build_router(),
        filing.build_router(),
        follow_up.build_router(),
        tickets.build_router(),
        profile.build_router(),
        self_service.build_router(),
        self_service_filing.build_router(),
        free_text.build_router(),
        reprompts.build_router(),
    )
    return router


def build_router() -> Router:
    router = Router(name="resident")
    router.include_routers(approval.build_router(), build_private_router())
    return router
