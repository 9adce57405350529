"""Staff cancel a ticket with a reason, change its category or urgency, and start work,
from the buttons on its card; residents hear of it in their language, and whoever may
not press those buttons (or presses an old one) is refused and audited."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from bot.app.application import Application
from bot.clock import ManualClock
from bot.presentation.texts import local_time
from fake_telegram import FakeTelegramServer, StoredMessage
from storage.models import Ticket, TicketEvent, TicketStatus
from tests.conftest import eventually
from tests.e2e import residents
from tests.e2e import staff_helpers as desk
from tests.e2e.chat import StaffChat


async def _events(app: Application, ticket_id: int, kind: str) -> list[TicketEvent]:
    assert app.sessionmaker is not None
    async with app.sessionmaker() as session:
        query = select(TicketEvent).where(
            TicketEvent.ticket_id == ticket_id, TicketEvent.kind == kind
        )
        return list((await session.scalars(query)).all())


async def _told_resident(telegram: FakeTelegramServer, fragment: str) -> str:
    call = await telegram.wait_for(
        "sendMessage", lambda c: fragment in c.params["text"], chat_id=desk.RESIDENT
    )
    return str(call.params["text"])


def _text(message: StoredMessage | None) -> str:
    return (message.text if message is not None else None) or ""


async def _urgent(app: Application, ticket_id: int) -> Ticket | None:
    found = await desk.reload(app, ticket_id)
    return found if found.urgent else None


async def _card_starting(
    telegram: FakeTelegramServer, prefix: str, *, marked: str = ""
) -> StoredMessage:
    """The group's card once it has been edited to begin with ``prefix``
    (and, with ``marked``, to carry that mark in its first line)."""
    return await eventually(
        lambda: next(
            (
                m
                for m in telegram.messages_in(desk.SUNSHINE_GROUP)
                if (m.text or "").startswith(prefix)
                and marked in (m.text or "").split("\n")[0]
                and m.buttons()
            ),
            None,
        )
    )


@pytest.fixture
async def ticket(app: Application, telegram: FakeTelegramServer) -> Ticket:
    """A water leak in sunshine, filed by a resident who reads English."""
    return await desk.file_ticket(app, telegram, language="en")


async def test_staff_cancel_a_ticket_with_a_reason_and_the_resident_hears_why(
    app: Application, telegram: FakeTelegramServer, ticket: Ticket, agent: StaffChat
) -> None:
    prompt = await agent.open_from_card(ticket, "cancel", "🚫")
    assert "为什么要取消" in (prompt.text or "")
    agent.reply(prompt, "重复报修，已合并处理")
    await agent.bot_says("已取消，已告知住户原因")
    told = await _told_resident(telegram, "重复报修")
    assert told.startswith(f"Ticket {ticket.number} was cancelled by the property office")
    cancelled = await desk.reload(app, ticket.id)
    assert cancelled.status is TicketStatus.CANCELLED
    assert cancelled.cancel_reason == "重复报修，已合并处理"
    assert cancelled.next_sla_check_at is None  # no deadline runs for a cancelled ticket
    card = await _card_starting(telegram, "🚫")
    assert card.button_texts() == ["详情"]
    # Why stays on the card, above what the resident asked.
    assert "\n取消原因：重复报修，已合并处理\n\n" in (card.text or ""), card.text
    # Its deadlines stay for the record, marked as no longer running.
    [deadlines] = [line for line in (card.text or "").splitlines() if line.startswith("响应时限")]
    assert deadlines.count("（不再适用）") == 2, deadlines
    [event] = await _events(app, ticket.id, "cancelled")
    assert event.body == "重复报修，已合并处理"


async def test_a_resident_who_disagrees_with_a_cancellation_is_offered_to_report_again(
    app: Application, telegram: FakeTelegramServer, ticket: Ticket, agent: StaffChat
) -> None:
    prompt = await agent.open_from_card(ticket, "cancel", "🚫")
    agent.reply(prompt, "已修好")
    told = await _told_resident(telegram, "已修好")
    assert told.endswith("write to me about it here and I will help you report it again.")
    notice = next(m for m in telegram.messages_in(desk.RESIDENT) if "已修好" in _text(m))
    async with app.sessionmaker() as session, session.begin():  # their flat, as they'd have
        await residents.bind_in(
            session, ticket.resident_id, app.clock.now(), building="1", unit="101"
        )
    mark = telegram.mark()
    resident = telegram.state.users[desk.RESIDENT]
    telegram.send_text(resident, "The ceiling is still leaking water", reply_to=notice)
    offer = await telegram.wait_for("sendMessage", chat_id=desk.RESIDENT, since=mark)
    assert "as a repair about <b>Water leak</b>" in offer.params["text"], offer.params["text"]
    assert residents.buttons(offer) == ["✅ Yes, that's right", "✏️ Something else", "No, thanks"]


async def test_staff_change_category_and_urgency_deadlines_follow_and_the_resident_is_told(
    app: Application, telegram: FakeTelegramServer, ticket: Ticket, manager: StaffChat
) -> None:
    menu = await manager.open_from_card(ticket, "classify", "改为")
    assert "当前分类为“漏水”" in (menu.text or "")
    assert menu.button_texts() == ["✓ 漏水", "电梯", "噪音", "⚡ 标为紧急", "取消"]
    await manager.press_label(menu, "电梯")
    await eventually(
        lambda: (
            "现为“电梯”，非紧急" in _text(telegram.message(desk.SUNSHINE_GROUP, menu.message_id))
        )
    )
    assert "category “Lift”" in await _told_resident(telegram, "Lift")
    # The card (not the menu, which now also names the lift) once it shows the new category.
    relabelled = await eventually(
        lambda: next(
            (
                m
                for m in telegram.messages_in(desk.SUNSHINE_GROUP)
                if "电梯" in (m.text or "").split("\n")[0]
                and any(str(b.get("callback_data", "")).startswith("tk:") for b in m.buttons())
            ),
            None,
        )
    )
    await manager.press(relabelled, "classify")
    second = await manager.bot_says("当前分类为“电梯”")
    await manager.press_label(second, "⚡ 标为紧急")
    told = await _told_resident(telegram, "marked urgent")
    urgent = await eventually(lambda: _urgent(app, ticket.id))
    # The urgent lift rule (30 min / 4 h) counts from the moment the ticket was filed.
    assert urgent.category_key == "lift"
    assert urgent.first_response_due_at == urgent.created_at + timedelta(minutes=30)
    assert urgent.resolution_due_at == urgent.created_at + timedelta(hours=4)
    # The resident reads the deadlines they now have, not only that something changed.
    zone = app.organisation.zone("sunshine")
    assert told == (
        f"The property office updated ticket {ticket.number}: category “Lift”, marked urgent.\n"
        f"Respond by: {local_time(urgent.first_response_due_at, zone)} · "
        f"Resolve by: {local_time(urgent.resolution_due_at, zone)}"
    )
    changes = await _events(app, ticket.id, "deadlines_changed")
    assert [sorted(e.data or {}) for e in changes] == [
        ["category", "deadlines"],
        ["deadlines", "urgent"],
    ]
    assert (changes[1].data or {})["urgent"] == [False, True]
    # The card is edited through the outbox, after the resident has been told.
    await _card_starting(telegram, "🆕", marked="⚡")


async def test_a_resident_is_told_only_the_deadlines_still_ahead_after_a_change(
    app: Application,
    telegram: FakeTelegramServer,
    ticket: Ticket,
    manager: StaffChat,
    clock: ManualClock,
) -> None:
    clock.advance(hours=2)  # marked urgent two hours after filing: answer within 30 min
    menu = await manager.open_from_card(ticket, "classify", "改为")
    await manager.press_label(menu, "⚡ 标为紧急")
    told = await _told_resident(telegram, "marked urgent")
    urgent = await eventually(lambda: _urgent(app, ticket.id))
    resolve_by = local_time(urgent.resolution_due_at, app.organisation.zone("sunshine"))
    # The answer is already late (the apology's to say); the fix is still ahead.
    assert told.endswith(f"marked urgent.\nResolve by: {resolve_by}")


async def test_staff_start_work_and_the_resident_hears_it_is_in_progress(
    app: Application, telegram: FakeTelegramServer, ticket: Ticket, agent: StaffChat
) -> None:
    shown = await agent.card(ticket)
    assert "tk:start:" not in str(shown.buttons())  # nothing to start before it is taken
    forged = await agent.press_raw(f"tk:start:{ticket.id}:{ticket.version}", shown.message_id)
    assert forged == "这张工单还没有人接单。"
    await agent.press(shown, "take")
    taken = await _card_starting(telegram, "👀")
    assert ticket.number in await agent.press(taken, "start")
    told = await _told_resident(telegram, "under way")
    assert told == f"🔧 Work on {ticket.number} is under way."
    assert (await desk.reload(app, ticket.id)).status is TicketStatus.IN_PROGRESS
    await _card_starting(telegram, "🔧")


async def test_a_non_staff_press_and_an_old_button_are_refused_and_audited(
    app: Application, telegram: FakeTelegramServer, manager: StaffChat
) -> None:
    ticket = await desk.file_ticket(app, telegram)
    shown = await manager.card(ticket)
    resident = StaffChat(app, telegram, telegram.user(id=desk.RESIDENT, first_name="小明"))
    for action in ("cancel", "classify"):
        assert await resident.press(shown, action) == "仅限工作人员使用。"
    old_classify = desk.button_data(shown, "classify")
    await manager.press(shown, "take")
    stale = await manager.press_raw(old_classify, shown.message_id)
    assert stale == "工单状态已变化，此按钮已过期，请重新查看。"
    entries = await desk.refusals(app)
    assert [(e.actor_telegram_id, e.action, e.reason) for e in entries] == [
        (desk.RESIDENT, "ticket.cancel", "not_staff"),
        (desk.RESIDENT, "ticket.classify", "not_staff"),
        (desk.MANAGER, "ticket.classify", "stale"),
    ]
    assert {e.ticket_id for e in entries} == {ticket.id}
    unchanged = await desk.reload(app, ticket.id)
    assert (unchanged.status, unchanged.category_key) == (TicketStatus.ACKNOWLEDGED, "water")
