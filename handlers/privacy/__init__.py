"""Residents' data rights (/privacy, /mydata, /forgetme) and the audit log (/audit)."""

from __future__ import annotations

from aiogram import Router

from handlers.privacy import audit_log, rights


def build_router() -> Router:
    router = Router(name="privacy")
    router.include_routers(rights.build_router(), audit_log.build_router())
    return router
