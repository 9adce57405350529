"""Staff tell residents: ``/notice`` (composed in private chat) and ``/incident`` (a mass
fault: one answer for every ticket of it)."""

from __future__ import annotations

from aiogram import Router

from handlers.notices import compose, incidents


def build_router() -> Router:
    router = Router(name="notices")
    router.include_routers(compose.build_router(), incidents.build_router())
    return router
