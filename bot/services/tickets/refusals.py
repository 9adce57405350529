"""Why a ticket action is refused: each refusal defined once, with its one wording.

Who may act is refused in ``bot/services/access.py``; what the status machine
forbids in ``transitions.py`` (:class:`IllegalTransition`).
"""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable
from typing import Concatenate, ParamSpec, TypeVar

from sqlalchemy.ext.asyncio import AsyncSession

from bot.i18n import N_
from bot.services.context import Context
from bot.services.errors import Refused
from bot.services.tickets.transitions import IllegalTransition, TicketAction
from storage.models import TicketStatus


class TicketNotFound(Refused):
    code = "ticket_not_found"
    default_reason = reason = N_("This ticket does not exist.")


class StaleAction(Refused):
    """The button belongs to an older state of the ticket."""

    code = "stale"
    default_reason = reason = N_(
        "This ticket has changed since this button was shown. Please look again."
    )


class AlreadyTaken(Refused):
    code = "already_taken"

    def __init__(self, holder_name: str | None) -> None:
        if holder_name:
            super().__init__(N_("{name} has already taken this ticket."), name=holder_name)
        else:
            super().__init__(N_("Someone has already taken this ticket."))
        self.holder_name = holder_name


class NotOpen(Refused):
    """Replying to, moving or cancelling a ticket that is resolved, closed or cancelled."""

    code = "not_open"

    def __init__(self, status: TicketStatus) -> None:
        # Every non-open status refuses a cancel, with the explanation of that status.
        super().__init__(IllegalTransition(status, TicketAction.CANCEL).reason)
        self.status = status


class ForgedButton(Refused):
    """Data that looks like one of our buttons but is not (or names nothing we offered)."""

    code = "forged"
    default_reason = reason = N_("This button is not valid.")


class PromptNotYours(Refused):
    code = "not_your_prompt"
    default_reason = reason = N_("This prompt is not yours, or it is no longer active.")


P = ParamSpec("P")
R = TypeVar("R")
TicketCommand = Callable[Concatenate[AsyncSession, Context, int, P], Awaitable[R]]


def about_ticket(command: TicketCommand[P, R]) -> TicketCommand[P, R]:
    """Whatever ``command`` refuses names the ticket it was about, for the audit log."""

    @functools.wraps(command)
    async def run(
        session: AsyncSession, ctx: Context, ticket_id: int, *args: P.args, **kwargs: P.kwargs
    ) -> R:
        try:
            return await command(session, ctx, ticket_id, *args, **kwargs)
        except Refused as refusal:
            if refusal.ticket_id is None:
                refusal.ticket_id = ticket_id
            raise

    return run
