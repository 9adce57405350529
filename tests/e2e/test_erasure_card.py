"""After /forgetme, the ticket's card in the staff group no longer names the resident, not
even by initials: erasure clears the person before it refreshes the card."""

from __future__ import annotations

from bot.app.application import Application
from fake_telegram import FakeTelegramServer
from tests.conftest import eventually
from tests.e2e.chat import ResidentChat
from tests.e2e.residents import settled
from tests.e2e.staff_helpers import SUNSHINE_GROUP, card, file_ticket


async def test_after_forgetme_the_refreshed_card_shows_no_initials(
    app: Application, telegram: FakeTelegramServer, xiaoming: ResidentChat
) -> None:
    await xiaoming.registered_in_unit()
    ticket = await file_ticket(
        app, telegram, resident_id=xiaoming.id, name=xiaoming.name, description="厨房水管裂了"
    )
    shown = await card(telegram, SUNSHINE_GROUP, ticket.number)
    assert "业主:张**" in (shown.text or "")  # initials only, while the resident is here

    mark = telegram.mark()
    question = await xiaoming.say("/forgetme")
    await xiaoming.press(question, "是的,全部删除")
    await settled(app)
    edit = await telegram.wait_for("editMessageText", chat_id=SUNSHINE_GROUP, since=mark)
    assert edit.params["message_id"] == shown.message_id

    def card_once_erased() -> str | None:
        now_shown = telegram.message(SUNSHINE_GROUP, shown.message_id)
        text = (now_shown.text if now_shown else None) or ""
        return text if "[erased]" in text else None

    refreshed = await eventually(card_once_erased)
    assert "张" not in refreshed and "小明" not in refreshed
    assert "业主:—" in refreshed
