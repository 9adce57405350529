"""Residents' data rights (/privacy, /mydata, /forgetme) and the audit log (/audit), in
private chats; in a group, a pointer to the private chat."""

from __future__ import annotations

from aiogram import Router

from handlers.privacy import audit_log, in_groups, rights


def build_router() -> Router:
    router = Router(name="privacy")
    router.include_routers(
        rights.build_router(), audit_log.build_router(), in_groups.build_router()
    )
    return router
