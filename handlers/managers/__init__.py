"""Managers' commands: statistics, charts and exports (in private chats only)."""

from __future__ import annotations

from aiogram import Router

from handlers.managers import stats


def build_router() -> Router:
    router = Router(name="managers")
    router.include_routers(stats.build_router(), stats.build_group_router())
    return router
