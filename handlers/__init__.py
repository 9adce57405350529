"""The Telegram layer: thin aiogram routers that parse input, call a service, render the answer."""

from __future__ import annotations

from aiogram import Dispatcher, Router

from handlers import admin_outbox, managers, privacy, resident, staff, surveys
from handlers.common import cancel, fallback, language, start
from handlers.middlewares.actor import ActorMiddleware
from handlers.middlewares.i18n import ActorI18nMiddleware, build_i18n
from handlers.middlewares.refusals import RefusalMiddleware
from handlers.middlewares.throttling import ThrottlingMiddleware


def build_root_router() -> Router:
    root = Router(name="root")
    # Order matters: specific routers first, the fallback last.
    root.include_routers(
        cancel.build_router(),
        surveys.build_router(),  # early: only its own buttons, /survey and its own states
        staff.build_router(),  # before any /start: it owns the /start inv_… deep link
        start.build_router(),
        language.build_router(),
        managers.build_router(),
        privacy.build_router(),
        admin_outbox.build_router(),
        resident.build_router(),  # residents' private chat; its catch-alls end it
        fallback.build_router(),
    )
    return root


def setup_dispatcher(dispatcher: Dispatcher, default_locale: str) -> None:
    dispatcher.update.outer_middleware(ActorMiddleware())
    dispatcher.update.outer_middleware(ThrottlingMiddleware())
    i18n = build_i18n(default_locale)
    ActorI18nMiddleware(i18n).setup(dispatcher)
    refusals = RefusalMiddleware()
    dispatcher.message.middleware(refusals)
    dispatcher.callback_query.middleware(refusals)
    dispatcher.include_router(build_root_router())
