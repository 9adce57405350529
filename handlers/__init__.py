"""The Telegram layer: thin aiogram routers that parse input, call a service, render the answer.

Every router is made for one audience (``handlers/audiences.py``): a private chat
(residents; staff and managers working in private), the staff groups, or — for the
ticket card and its prompts, which work in both — any chat. The audience's chat
filter is set where the router is made, never on a handler. Private and group
events never meet, so the order below matters only within one kind of chat.
"""

from __future__ import annotations

from aiogram import Dispatcher, Router

from handlers import admin_outbox, managers, notices, privacy, resident, staff, surveys
from handlers.common import cancel, fallback, language, start
from handlers.middlewares.actor import ActorMiddleware
from handlers.middlewares.i18n import ActorI18nMiddleware, build_i18n
from handlers.middlewares.refusals import RefusalMiddleware
from handlers.middlewares.throttling import ThrottlingMiddleware


def build_root_router() -> Router:
    root = Router(name="root")
    # Order matters: specific routers first, the fallback last.
    root.include_routers(
        cancel.build_router(),  # private: /cancel ends any conversation
        surveys.build_router(),  # private answers, group call-backs, /survey anywhere
        staff.build_router(),  # groups and private; owns the /start inv_… deep link
        notices.build_router(),  # private: /notice; groups and private: /incident
        start.build_router(),  # /help: private per role, and in staff groups
        language.build_router(),  # private
        managers.build_router(),  # private: /stats, /export
        privacy.build_router(),  # private: /privacy, /mydata, /forgetme
        admin_outbox.build_router(),  # private: /outbox
        resident.build_router(),  # residents' private chat (its catch-alls end it); approvals
        fallback.build_router(),  # private: anything else; any chat: a button nobody took
    )
    return root


def setup_dispatcher(dispatcher: Dispatcher, default_locale: str) -> None:
    """``dispatcher`` was made with ``disable_fsm=True``: its FSM middleware is put here,
    after the actor's, which reads the conversation with the sender."""
    dispatcher.update.outer_middleware(ActorMiddleware(dispatcher.fsm))
    dispatcher.update.outer_middleware(dispatcher.fsm)
    dispatcher.update.outer_middleware(ThrottlingMiddleware())
    i18n = build_i18n(default_locale)
    ActorI18nMiddleware(i18n).setup(dispatcher)
    refusals = RefusalMiddleware()
    dispatcher.message.middleware(refusals)
    dispatcher.callback_query.middleware(refusals)
    dispatcher.include_router(build_root_router())
