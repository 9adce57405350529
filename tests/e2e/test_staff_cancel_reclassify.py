"""Staff cancel a ticket with a reason, change its category or urgency, and start work,
from the buttons on its card; residents hear of it in their language, and whoever may
not press those buttons (or presses an old one) is refused and audited."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from bot.app.application import Application
from fake_telegram import FakeTelegramServer, StoredMessage
from storage.models import Ticket, TicketEvent, TicketStatus
from tests.conftest import eventually
from tests.e2e import staff_helpers as desk


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


async def _card_starting(telegram: FakeTelegramServer, prefix: str) -> StoredMessage:
    """The group's card once it has been edited to begin with ``prefix``."""
    return await eventually(
        lambda: next(
            (
                m
                for m in telegram.messages_in(desk.SUNSHINE_GROUP)
                if (m.text or "").startswith(prefix) and m.buttons()
            ),
            None,
        )
    )


async def test_staff_cancel_a_ticket_with_a_reason_and_the_resident_hears_why(
    app: Application, telegram: FakeTelegramServer
) -> None:
    ticket = await desk.file_ticket(app, telegram, language="en")
    agent = desk.staff_user(telegram, desk.AGENT)
    await desk.press_on_card(telegram, agent, ticket, "cancel")
    prompt = await desk.bot_says(telegram, desk.SUNSHINE_GROUP, "🚫")
    assert "为什么要取消" in (prompt.text or "")
    telegram.send_text(agent, "重复报修,已合并处理", chat_id=desk.SUNSHINE_GROUP, reply_to=prompt)
    await desk.bot_says(telegram, desk.SUNSHINE_GROUP, "已取消,已告知住户原因")
    told = await _told_resident(telegram, "重复报修")
    assert told.startswith(f"Ticket {ticket.number} was cancelled by the property office")
    cancelled = await desk.reload(app, ticket.id)
    assert cancelled.status is TicketStatus.CANCELLED
    assert cancelled.cancel_reason == "重复报修,已合并处理"
    assert cancelled.next_sla_check_at is None  # no deadline runs for a cancelled ticket
    assert (await _card_starting(telegram, "🚫")).button_texts() == ["详情"]
    [event] = await _events(app, ticket.id, "cancelled")
    assert event.body == "重复报修,已合并处理"


async def test_staff_change_category_and_urgency_deadlines_follow_and_the_resident_is_told(
    app: Application, telegram: FakeTelegramServer
) -> None:
    ticket = await desk.file_ticket(app, telegram, language="en")
    manager = desk.staff_user(telegram, desk.MANAGER)
    await desk.press_on_card(telegram, manager, ticket, "classify")
    menu = await desk.bot_says(telegram, desk.SUNSHINE_GROUP, "改为")
    assert "当前分类为“漏水”" in (menu.text or "")
    assert menu.button_texts() == ["✓ 漏水", "电梯", "噪音", "⚡ 标为紧急", "取消"]
    telegram.press(manager, menu, text="电梯")
    await eventually(
        lambda: "现为“电梯”,非紧急" in _text(telegram.message(desk.SUNSHINE_GROUP, menu.message_id))
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
    desk.press(telegram, manager, relabelled, "classify")
    second = await desk.bot_says(telegram, desk.SUNSHINE_GROUP, "当前分类为“电梯”")
    telegram.press(manager, second, text="⚡ 标为紧急")
    assert "marked urgent" in await _told_resident(telegram, "marked urgent")
    urgent = await eventually(lambda: _urgent(app, ticket.id))
    # The urgent lift rule (30 min / 4 h) counts from the moment the ticket was filed.
    assert urgent.category_key == "lift"
    assert urgent.first_response_due_at == urgent.created_at + timedelta(minutes=30)
    assert urgent.resolution_due_at == urgent.created_at + timedelta(hours=4)
    changes = await _events(app, ticket.id, "deadlines_changed")
    assert [sorted(e.data or {}) for e in changes] == [
        ["category", "deadlines"],
        ["deadlines", "urgent"],
    ]
    assert (changes[1].data or {})["urgent"] == [False, True]
    assert "⚡" in _text(await _card_starting(telegram, "🆕")).split("\n")[0]


async def test_staff_start_work_and_the_resident_hears_it_is_in_progress(
    app: Application, telegram: FakeTelegramServer
) -> None:
    ticket = await desk.file_ticket(app, telegram, language="en")
    agent = desk.staff_user(telegram, desk.AGENT)
    shown = await desk.card(telegram, desk.SUNSHINE_GROUP, ticket.number)
    too_early = desk.press(telegram, agent, shown, "start")
    assert await desk.alert(telegram, too_early) == "这张工单还没有人接单。"
    await desk.alert(telegram, desk.press(telegram, agent, shown, "take"))
    taken = await _card_starting(telegram, "👀")
    started = desk.press(telegram, agent, taken, "start")
    assert ticket.number in await desk.alert(telegram, started)
    assert "in progress" in await _told_resident(telegram, "in progress")
    assert (await desk.reload(app, ticket.id)).status is TicketStatus.IN_PROGRESS
    await _card_starting(telegram, "🔧")


async def test_a_non_staff_press_and_an_old_button_are_refused_and_audited(
    app: Application, telegram: FakeTelegramServer
) -> None:
    ticket = await desk.file_ticket(app, telegram)
    shown = await desk.card(telegram, desk.SUNSHINE_GROUP, ticket.number)
    resident = telegram.user(id=desk.RESIDENT, first_name="小明")
    for action in ("cancel", "classify"):
        assert (
            await desk.alert(telegram, desk.press(telegram, resident, shown, action))
            == "仅限工作人员使用。"
        )
    old_classify = desk.button_data(shown, "classify")
    manager = desk.staff_user(telegram, desk.MANAGER)
    await desk.alert(telegram, desk.press(telegram, manager, shown, "take"))
    stale = telegram.press_raw(manager, desk.SUNSHINE_GROUP, shown.message_id, old_classify)
    assert await desk.alert(telegram, stale) == "工单状态已变化,此按钮已过期,请重新查看。"
    entries = await desk.refusals(app)
    assert [(e.actor_telegram_id, e.action, e.reason) for e in entries] == [
        (desk.RESIDENT, "ticket.cancel", "not_staff"),
        (desk.RESIDENT, "ticket.classify", "not_staff"),
        (desk.MANAGER, "ticket.classify", "stale"),
    ]
    assert {e.ticket_id for e in entries} == {ticket.id}
    unchanged = await desk.reload(app, ticket.id)
    assert (unchanged.status, unchanged.category_key) == (TicketStatus.ACKNOWLEDGED, "water")
