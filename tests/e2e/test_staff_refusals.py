"""Every staff button is checked on the server: whoever may not press it is refused with a
short alert, nothing changes, and the audit log says who tried what, when, and why not."""

from __future__ import annotations

import pytest

from bot.app.application import Application
from bot.clock import ManualClock
from fake_telegram import FakeTelegramServer
from storage.models import StaffRole, Ticket, TicketStatus
from tests.e2e import staff_helpers as desk


async def assert_refused(
    app: Application,
    ticket: Ticket,
    *,
    who: int,
    action: str,
    reason: str,
    clock: ManualClock,
) -> None:
    """Nothing changed, and exactly this refusal is on record."""
    now = await desk.reload(app, ticket.id)
    assert (now.status, now.version, now.assignee_id) == (TicketStatus.NEW, 1, None)
    entries = await desk.refusals(app)
    assert [(e.actor_telegram_id, e.action, e.reason) for e in entries] == [(who, action, reason)]
    assert entries[0].at == clock.now()


@pytest.fixture
async def ticket(app: Application, telegram: FakeTelegramServer) -> Ticket:
    filed = await desk.file_ticket(app, telegram)
    await desk.card(telegram, desk.SUNSHINE_GROUP, filed.number)
    return filed


async def test_a_resident_pressing_a_staff_button_is_refused(
    app: Application, telegram: FakeTelegramServer, ticket: Ticket, clock: ManualClock
) -> None:
    resident = telegram.user(id=desk.RESIDENT, first_name="小明")
    before = len(await desk.queued_to(app, desk.RESIDENT))
    pressed = await desk.press_on_card(telegram, resident, ticket, "take")
    assert await desk.alert(telegram, pressed) == "仅限工作人员使用。"
    assert telegram.answer_for(pressed).show_alert
    await assert_refused(
        app, ticket, who=desk.RESIDENT, action="ticket.take", reason="not_staff", clock=clock
    )
    assert len(await desk.queued_to(app, desk.RESIDENT)) == before


async def test_someone_without_any_role_is_refused(
    app: Application, telegram: FakeTelegramServer, ticket: Ticket, clock: ManualClock
) -> None:
    nobody = telegram.user(id=8500, first_name="陌生人")
    shown = await desk.card(telegram, desk.SUNSHINE_GROUP, ticket.number)
    pressed = desk.press(telegram, nobody, shown, "details")
    assert await desk.alert(telegram, pressed) == "仅限工作人员使用。"
    await assert_refused(
        app, ticket, who=8500, action="ticket.details", reason="no_role", clock=clock
    )
    assert not telegram.calls_of("sendMessage", chat_id=8500)  # no details leaked privately


async def test_staff_of_another_project_are_refused(
    app: Application, telegram: FakeTelegramServer, ticket: Ticket, clock: ManualClock
) -> None:
    await desk.add_staff(app, 5201, "孙丽", StaffRole.AGENT, "plaza")
    plaza_agent = telegram.user(id=5201, first_name="孙丽")
    pressed = desk.press(
        telegram, plaza_agent, await desk.card(telegram, desk.SUNSHINE_GROUP, ticket.number), "take"
    )
    assert await desk.alert(telegram, pressed) == "只有该工单所属项目的工作人员才能执行此操作。"
    await assert_refused(
        app, ticket, who=5201, action="ticket.take", reason="not_project_staff", clock=clock
    )


async def test_a_button_about_another_groups_ticket_is_refused_even_for_its_managers(
    app: Application, telegram: FakeTelegramServer, ticket: Ticket, clock: ManualClock
) -> None:
    """Forged: a sunshine ticket's button pressed in the plaza group."""
    region = desk.staff_user(telegram, desk.REGION_MANAGER)  # may work on both projects
    plaza_message = telegram.state.chats[desk.PLAZA_GROUP]
    forged = f"tk:take:{ticket.id}:1"
    pressed = telegram.press_raw(
        region, desk.PLAZA_GROUP, plaza_message.next_message_id - 1, forged
    )
    assert await desk.alert(telegram, pressed) == "这张工单不属于本群。"
    await assert_refused(
        app,
        ticket,
        who=desk.REGION_MANAGER,
        action="ticket.take",
        reason="ticket_not_in_group",
        clock=clock,
    )


@pytest.mark.parametrize(
    ("data", "action", "reason", "answer"),
    [
        ("tk:take:999999:1", "ticket.take", "ticket_not_found", "该工单不存在。"),
        ("tk:take:abc:1", "ticket.button", "forged", "这个按钮无效。"),
        ("tk:launch:{id}:1", "ticket.button", "forged", "这个按钮无效。"),
        ("tka:person:{id}:1:424242", "ticket.reassign", "forged", "这个按钮无效。"),
    ],
)
async def test_forged_buttons_are_refused(
    app: Application,
    telegram: FakeTelegramServer,
    ticket: Ticket,
    clock: ManualClock,
    data: str,
    action: str,
    reason: str,
    answer: str,
) -> None:
    manager = desk.staff_user(telegram, desk.MANAGER)
    shown = await desk.card(telegram, desk.SUNSHINE_GROUP, ticket.number)
    pressed = telegram.press_raw(
        manager, desk.SUNSHINE_GROUP, shown.message_id, data.format(id=ticket.id)
    )
    assert await desk.alert(telegram, pressed) == answer
    await assert_refused(app, ticket, who=desk.MANAGER, action=action, reason=reason, clock=clock)


async def test_an_outdated_button_is_refused(
    app: Application, telegram: FakeTelegramServer, ticket: Ticket, clock: ManualClock
) -> None:
    agent, manager = desk.staff_user(telegram, desk.AGENT), desk.staff_user(telegram, desk.MANAGER)
    shown = await desk.card(telegram, desk.SUNSHINE_GROUP, ticket.number)
    old_reply = desk.button_data(shown, "reply")
    await desk.alert(telegram, desk.press(telegram, agent, shown, "take"))
    pressed = telegram.press_raw(manager, desk.SUNSHINE_GROUP, shown.message_id, old_reply)
    assert await desk.alert(telegram, pressed) == "工单状态已变化,此按钮已过期,请重新查看。"
    entries = await desk.refusals(app)
    assert [(e.actor_telegram_id, e.action, e.reason) for e in entries] == [
        (desk.MANAGER, "ticket.reply", "stale")
    ]
    assert entries[0].ticket_id == ticket.id
    assert not [m for m in telegram.messages_in(desk.SUNSHINE_GROUP) if "✍️" in (m.text or "")]


async def test_resolving_a_ticket_nobody_took_is_refused_with_the_reason(
    app: Application, telegram: FakeTelegramServer, ticket: Ticket, clock: ManualClock
) -> None:
    agent = desk.staff_user(telegram, desk.AGENT)
    pressed = await desk.press_on_card(telegram, agent, ticket, "resolve")
    assert await desk.alert(telegram, pressed) == "这张工单还没有人接单。"
    await assert_refused(
        app,
        ticket,
        who=desk.AGENT,
        action="ticket.resolve",
        reason="illegal_transition",
        clock=clock,
    )


async def test_a_button_pressed_in_a_group_nobody_bound_is_refused(
    app: Application, telegram: FakeTelegramServer, ticket: Ticket, clock: ManualClock
) -> None:
    telegram.add_group(-1009000000777, "野群")
    agent = desk.staff_user(telegram, desk.AGENT)
    pressed = telegram.press_raw(agent, -1009000000777, 1, f"tk:take:{ticket.id}:1")
    assert await desk.alert(telegram, pressed) == "本群不是工作群。"
    await assert_refused(
        app, ticket, who=desk.AGENT, action="ticket.take", reason="group_not_bound", clock=clock
    )


async def test_someone_elses_reply_prompt_cannot_be_used(
    app: Application, telegram: FakeTelegramServer, ticket: Ticket, clock: ManualClock
) -> None:
    agent, manager = desk.staff_user(telegram, desk.AGENT), desk.staff_user(telegram, desk.MANAGER)
    await desk.press_on_card(telegram, agent, ticket, "reply")
    prompt = await desk.bot_says(telegram, desk.SUNSHINE_GROUP, "✍️")
    pressed = telegram.press(manager, prompt, text="✖ 取消")
    assert await desk.alert(telegram, pressed) == "这条提示不是给您的,或已失效。"
    await assert_refused(
        app,
        ticket,
        who=desk.MANAGER,
        action="ticket.compose",
        reason="not_your_prompt",
        clock=clock,
    )
    # A reply to the prompt by someone else is not taken as the answer either.
    telegram.send_text(manager, "我来回复", chat_id=desk.SUNSHINE_GROUP, reply_to=prompt)
    telegram.send_text(agent, "马上到", chat_id=desk.SUNSHINE_GROUP, reply_to=prompt)
    await desk.bot_says(telegram, desk.SUNSHINE_GROUP, "已发送给")
    await telegram.wait_for(
        "sendMessage", lambda c: "马上到" in c.params["text"], chat_id=desk.RESIDENT
    )
    relayed = [c.params["text"] for c in telegram.calls_of("sendMessage", chat_id=desk.RESIDENT)]
    assert any("马上到" in t for t in relayed) and not any("我来回复" in t for t in relayed)
