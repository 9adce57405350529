"""Filing after all: "Still a problem → file anyway" after an active notice, and "I still
need help" after a FAQ answer (an inquiry, with the question already in)."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.filters import StateFilter
from aiogram.types import CallbackQuery

from bot.presentation.buttons.announcements import SelfServiceAction, SelfServiceChoice
from bot.services.announcements import deflection
from bot.services.errors import StaleButton
from bot.services.intake.conversation import Flow
from handlers.resident import filing, free_text
from handlers.resident.common import answered_with_button
from handlers.resident.registered import Turn
from handlers.resident.self_service import ORIGIN_FILING, shown_event
from handlers.resident.states import SelfService
from storage.models import TicketKind


async def file_anyway(
    callback: CallbackQuery, callback_data: SelfServiceChoice, turn: Turn
) -> None:
    data = await shown_event(turn, callback_data)
    outcome = (
        deflection.FILED if callback_data.action == SelfServiceAction.FILE else deflection.HELP
    )
    await deflection.decide(turn.session, turn.ctx, turn.person.id, callback_data.event_id, outcome)
    message = await answered_with_button(callback)
    if data.get("origin") == ORIGIN_FILING:
        flow = Flow.from_data(data)
        if flow is None:
            raise StaleButton()
        await filing.advance(message, turn, flow)
        return
    text, photos = data.get("text") or "", data.get("photos") or []
    await turn.state.clear()
    if outcome == deflection.HELP:
        await filing.begin_filing(
            message, turn, TicketKind.INQUIRY.value, callback_data.event_id,
            description=text, photos=photos,
        )  # fmt: skip
        return
    await free_text.offer_filing(
        message, turn.state, turn.session, turn.ctx, text, photos, answered=True,
        person=turn.person,
    )  # fmt: skip


def build_router() -> Router:
    router = Router(name="resident.self_service_filing")
    router.callback_query.register(
        file_anyway,
        StateFilter(SelfService.shown),
        SelfServiceChoice.filter(F.action.in_({SelfServiceAction.FILE, SelfServiceAction.HELP})),
    )
    return router
