"""The aiogram dispatcher: FSM storage in our database, the dependencies, the routers."""

from __future__ import annotations

from aiogram import Dispatcher

from bot.app.deps import Deps
from bot.app.runtime.inline_filters import run_filters_inline
from bot.app.runtime.router_pruning import prune_routers
from bot.presentation.message_split import fit_messages_to_telegram
from handlers import setup_dispatcher
from storage.fsm import SqlStorage


def build_dispatcher(deps: Deps) -> Dispatcher:
    # The FSM middleware is registered by ``setup_dispatcher``, after the one that reads
    # the conversation with the sender.
    dispatcher = Dispatcher(storage=SqlStorage(deps.sessionmaker, deps.clock.now), disable_fsm=True)
    dispatcher["deps"] = deps
    # Older handlers still ask for these by name; new ones take ``deps`` or ``ctx``.
    dispatcher["clock"] = deps.clock
    dispatcher["settings"] = deps.settings
    dispatcher["organisation"] = deps.organisation
    setup_dispatcher(dispatcher, deps.default_locale)
    run_filters_inline(dispatcher)  # not one thread hop per filter check
    prune_routers(dispatcher)  # no visit to a router with nothing for the update below it
    # Every call the bot makes (handlers' answers, the outbox) fits Telegram's limits.
    dispatcher.startup.register(fit_messages_to_telegram)
    return dispatcher
