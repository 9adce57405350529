"""Managers' commands: statistics, charts and exports."""

from __future__ import annotations

from aiogram import Router

from handlers.managers import stats


def build_router() -> Router:
    router = Router(name="managers")
    router.include_router(stats.build_router())
    return router
