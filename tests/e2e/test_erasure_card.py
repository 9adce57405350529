"""After /forgetme, the ticket's card in the staff group no longer names the resident, not
even by initials: erasure clears the person before it refreshes the card; the ticket's
forum topic, even one Telegram has not created yet, no longer names their unit."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from bot.app.application import Application
from bot.config.settings import Settings
from bot.services.delivery_outcomes import topic_ref
from fake_telegram import FakeTelegramServer
from fake_telegram.errors import too_many_requests
from storage.models import OutboxMessage, Ticket
from tests.conftest import eventually
from tests.e2e.chat import ResidentChat, StaffChat
from tests.e2e.residents import settled
from tests.e2e.staff_helpers import SUNSHINE_GROUP, card, file_ticket
from tests.e2e.survey_support import unit_id
from tests.e2e.test_staff_conversation import a_forum


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """Time enough for Telegram to hold a call back until the test lets it answer."""
    return settings.model_copy(update={"request_timeout": 30})


async def _about_their_flat(
    app: Application, telegram: FakeTelegramServer, xiaoming: ResidentChat
) -> Ticket:
    """Xiaoming's ticket about their flat, 1号楼 101 (the topic's name says so)."""
    flat = await unit_id(app, "1", "101")
    return await file_ticket(
        app,
        telegram,
        resident_id=xiaoming.id,
        name=xiaoming.name,
        description="厨房水管裂了",
        property_unit_id=flat,
    )


async def _forget(app: Application, xiaoming: ResidentChat) -> None:
    question = await xiaoming.say("/forgetme")
    await xiaoming.press(question, "是的，全部删除")
    await settled(app)


async def test_after_forgetme_the_refreshed_card_shows_no_initials(
    app: Application, telegram: FakeTelegramServer, xiaoming: ResidentChat
) -> None:
    await xiaoming.registered_in_unit()
    ticket = await file_ticket(
        app, telegram, resident_id=xiaoming.id, name=xiaoming.name, description="厨房水管裂了"
    )
    shown = await card(telegram, SUNSHINE_GROUP, ticket.number)
    assert "住户：张**" in (shown.text or "")  # initials only, while the resident is here

    mark = telegram.mark()
    await _forget(app, xiaoming)
    edit = await telegram.wait_for("editMessageText", chat_id=SUNSHINE_GROUP, since=mark)
    assert edit.params["message_id"] == shown.message_id

    def card_once_erased() -> str | None:
        now_shown = telegram.message(SUNSHINE_GROUP, shown.message_id)
        text = (now_shown.text if now_shown else None) or ""
        return text if "[erased]" in text else None

    refreshed = await eventually(card_once_erased)
    assert "张" not in refreshed and "小明" not in refreshed
    assert "住户：—" in refreshed


async def test_a_topic_still_queued_when_the_resident_leaves_is_created_without_their_unit(
    app: Application, telegram: FakeTelegramServer, xiaoming: ResidentChat, agent: StaffChat
) -> None:
    """In a forum group the ticket's topic is named with the unit. Telegram holds its
    creation back (429) while the resident erases their data: the topic, created later,
    does not name the unit."""
    await xiaoming.registered_in_unit("101", "1")
    await a_forum(app, telegram, agent)
    telegram.fail_next("createForumTopic", too_many_requests(600), chat_id=SUNSHINE_GROUP)
    ticket = await _about_their_flat(app, telegram, xiaoming)
    refused = await telegram.wait_for("createForumTopic", chat_id=SUNSHINE_GROUP)
    assert not refused.ok and refused.params["name"].endswith("101")

    await _forget(app, xiaoming)
    mark = telegram.mark()
    app.clock.advance(timedelta(minutes=11))  # type: ignore[attr-defined]
    app.sender.wake()  # type: ignore[union-attr]
    created = await telegram.wait_for(
        "createForumTopic", lambda c: c.ok, chat_id=SUNSHINE_GROUP, since=mark
    )
    assert created.params["name"] == f"🆕 {ticket.number} · 漏水"
    thread = int(created.result["message_thread_id"])
    assert telegram.state.chats[SUNSHINE_GROUP].topics[thread].name == created.params["name"]


async def test_a_topic_being_created_when_the_resident_leaves_is_renamed_once_made(
    app: Application, telegram: FakeTelegramServer, xiaoming: ResidentChat, agent: StaffChat
) -> None:
    """Telegram is creating the topic (the sender waits for its answer) while the resident
    erases their data: the call in flight can no longer be changed, so the topic is renamed
    as soon as Telegram has made it."""
    await xiaoming.registered_in_unit("101", "1")
    await a_forum(app, telegram, agent)
    telegram.delay_next("createForumTopic", 25, chat_id=SUNSHINE_GROUP)
    ticket = await _about_their_flat(app, telegram, xiaoming)
    creating = await telegram.wait_for("createForumTopic", chat_id=SUNSHINE_GROUP)
    assert creating.params["name"].endswith("101")

    await _forget(app, xiaoming)
    async with app.sessionmaker() as session:  # type: ignore[misc]
        in_hand = await session.scalar(
            select(OutboxMessage.locked_by).where(OutboxMessage.ref == topic_ref(ticket.id))
        )
    assert in_hand is not None  # the erasure committed while the sender waited

    mark = telegram.mark()
    telegram.release_delayed()
    thread = int(creating.result["message_thread_id"])
    renamed = await telegram.wait_for("editForumTopic", chat_id=SUNSHINE_GROUP, since=mark)
    assert renamed.params["message_thread_id"] == thread
    assert renamed.params["name"] == f"🆕 {ticket.number} · 漏水"
    assert telegram.state.chats[SUNSHINE_GROUP].topics[thread].name == renamed.params["name"]
