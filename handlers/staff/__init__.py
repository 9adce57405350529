"""The staff desk: ticket cards in staff groups, the buttons on them, staff commands,
invitations and the binding of staff groups."""

from __future__ import annotations

from aiogram import Router

from handlers.staff import cards, compose, groups, invites, lists, topics


def build_router() -> Router:
    router = Router(name="staff")
    # Order matters: the invitation deep link before anyone's /start; the group gate
    # (migration, anonymous admins, unbound groups) before any other group command;
    # a pending prompt before a ticket's topic; our forged-button catcher last.
    router.include_routers(
        topics.build_learning_router(),  # only looks: is the group a forum?
        invites.build_router(),
        groups.build_router(),
        compose.build_router(),
        topics.build_router(),  # a ticket's topic; a reply to a line about a ticket
        cards.build_router(),
        lists.build_router(),
        cards.build_forged_router(),
    )
    return router
