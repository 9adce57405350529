"""Staff tell residents: ``/notice`` (composed in private chat; sent in a staff group, it
gets the pointer to the private chat, like ``/export``) and ``/incident`` (a mass fault:
one answer for every ticket of it)."""

from __future__ import annotations

from aiogram import Router
from aiogram.filters import Command

from handlers.audiences import staff_groups
from handlers.notices import compose, incidents
from handlers.privacy.in_groups import point_to_private_chat


def _in_groups() -> Router:
    router = staff_groups("notices.in_groups")
    router.message.register(point_to_private_chat, Command("notice"))
    return router


def build_router() -> Router:
    router = Router(name="notices")
    router.include_routers(compose.build_router(), incidents.build_router(), _in_groups())
    return router
