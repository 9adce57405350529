"""Every staff button is checked on the server: whoever may not press it is refused with a
short alert, nothing changes, and the audit log says who tried what, when, and why not."""

from __future__ import annotations

import pytest

from bot.app.application import Application
from fake_telegram import FakeTelegramServer
from storage.models import StaffRole, Ticket, TicketStatus
from tests.conftest import eventually
from tests.e2e import staff_helpers as desk
from tests.e2e.chat import StaffChat


async def assert_refused(
    app: Application, ticket: Ticket, *, who: int, action: str, reason: str
) -> None:
    """Nothing changed, and exactly this refusal is on record (stamped now)."""
    now = await desk.reload(app, ticket.id)
    assert (now.status, now.version, now.assignee_id) == (TicketStatus.NEW, 1, None)
    entries = await desk.refusals(app)
    assert [(e.actor_telegram_id, e.action, e.reason) for e in entries] == [(who, action, reason)]
    assert entries[0].at == app.clock.now()


@pytest.fixture
async def ticket(app: Application, telegram: FakeTelegramServer) -> Ticket:
    filed = await desk.file_ticket(app, telegram)
    await desk.card(telegram, desk.SUNSHINE_GROUP, filed.number)
    return filed


def someone(
    app: Application, telegram: FakeTelegramServer, telegram_id: int, name: str
) -> StaffChat:
    """Anyone at all in the sunshine staff group, staff or not."""
    return StaffChat(app, telegram, telegram.user(id=telegram_id, first_name=name))


async def test_a_resident_pressing_a_staff_button_is_refused(
    app: Application, telegram: FakeTelegramServer, ticket: Ticket
) -> None:
    resident = telegram.user(id=desk.RESIDENT, first_name="小明")
    before = len(await desk.queued_to(app, desk.RESIDENT))
    pressed = await desk.press_on_card(telegram, resident, ticket, "take")
    assert await desk.alert(telegram, pressed) == "仅限工作人员使用。"
    assert telegram.answer_for(pressed).show_alert
    await assert_refused(app, ticket, who=desk.RESIDENT, action="ticket.take", reason="not_staff")
    assert len(await desk.queued_to(app, desk.RESIDENT)) == before


async def test_someone_without_any_role_is_refused(
    app: Application, telegram: FakeTelegramServer, ticket: Ticket
) -> None:
    nobody = someone(app, telegram, 8500, "陌生人")
    assert await nobody.press_on_card(ticket, "details") == "仅限工作人员使用。"
    await assert_refused(app, ticket, who=8500, action="ticket.details", reason="no_role")
    assert not telegram.calls_of("sendMessage", chat_id=8500)  # no details leaked privately


async def test_staff_of_another_project_are_refused(
    app: Application, telegram: FakeTelegramServer, ticket: Ticket
) -> None:
    await desk.add_staff(app, 5201, "孙丽", StaffRole.AGENT, "plaza")
    plaza_agent = someone(app, telegram, 5201, "孙丽")
    alert = await plaza_agent.press_on_card(ticket, "take")
    assert alert == "只有该工单所属项目的工作人员才能执行此操作。"
    await assert_refused(app, ticket, who=5201, action="ticket.take", reason="not_project_staff")


async def test_another_projects_agent_cannot_page_through_a_tickets_history(
    app: Application, telegram: FakeTelegramServer, ticket: Ticket
) -> None:
    """◀ ▶ under Details, forged in a private chat by staff of another project."""
    await desk.add_staff(app, 5201, "孙丽", StaffRole.AGENT, "plaza")
    plaza_agent = someone(app, telegram, 5201, "孙丽")
    alert = await plaza_agent.press_raw(f"tkh:{ticket.id}:1", 1, chat_id=5201)
    assert alert == "只有该工单所属项目的工作人员才能执行此操作。"
    assert not telegram.calls_of("editMessageText")
    await assert_refused(app, ticket, who=5201, action="ticket.details", reason="not_project_staff")


async def test_a_button_about_another_groups_ticket_is_refused_even_for_its_managers(
    app: Application, telegram: FakeTelegramServer, ticket: Ticket
) -> None:
    """Forged: a sunshine ticket's button pressed in the plaza group."""
    region = StaffChat(
        app, telegram, desk.staff_user(telegram, desk.REGION_MANAGER), group=desk.PLAZA_GROUP
    )  # may work on both projects
    last_in_plaza = telegram.state.chats[desk.PLAZA_GROUP].next_message_id - 1
    alert = await region.press_raw(f"tk:take:{ticket.id}:1", last_in_plaza)
    assert alert == "这张工单不属于本群。"
    await assert_refused(
        app, ticket, who=desk.REGION_MANAGER, action="ticket.take", reason="ticket_not_in_group"
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
    ticket: Ticket,
    manager: StaffChat,
    data: str,
    action: str,
    reason: str,
    answer: str,
) -> None:
    shown = await manager.card(ticket)
    assert await manager.press_raw(data.format(id=ticket.id), shown.message_id) == answer
    await assert_refused(app, ticket, who=desk.MANAGER, action=action, reason=reason)


async def test_an_outdated_button_is_refused(
    app: Application, ticket: Ticket, agent: StaffChat, manager: StaffChat
) -> None:
    shown = await agent.card(ticket)
    old_reply = desk.button_data(shown, "reply")
    await agent.press(shown, "take")
    alert = await manager.press_raw(old_reply, shown.message_id)
    assert alert == "工单状态已变化，此按钮已过期，请重新查看。"
    entries = await desk.refusals(app)
    assert [(e.actor_telegram_id, e.action, e.reason) for e in entries] == [
        (desk.MANAGER, "ticket.reply", "stale")
    ]
    assert entries[0].ticket_id == ticket.id
    group = agent.telegram.messages_in(desk.SUNSHINE_GROUP)
    assert not [m for m in group if "✍️" in (m.text or "")]


async def test_an_outdated_button_on_a_private_view_redraws_the_view(
    app: Application, ticket: Ticket, agent: StaffChat, manager: StaffChat
) -> None:
    telegram = manager.telegram
    telegram.send_text(manager.user, f"/ticket {ticket.number}", chat_id=manager.id)
    view = await manager.bot_says_privately(ticket.number)
    assert "状态：待处理" in (view.text or "")
    await agent.press_on_card(ticket, "take")  # the view is now out of date
    alert = await manager.press_raw(desk.button_data(view, "reply"), view.message_id, manager.id)
    assert alert == "工单状态已变化，此按钮已过期，请重新查看。"

    # The alert's "look again" is answered at once: the view shows the ticket as it is now.
    def now_shown():
        shown = telegram.message(manager.id, view.message_id)
        return shown if "王芳" in (shown.text or "") else None

    redrawn = await eventually(now_shown)
    assert "已接单" in (redrawn.text or "")
    assert desk.button_data(redrawn, "resolve").endswith(":2")  # its buttons are current
    assert (await desk.reload(app, ticket.id)).assignee_id is not None  # the agent's take


async def test_resolving_a_ticket_nobody_took_is_refused_with_the_reason(
    app: Application, ticket: Ticket, agent: StaffChat
) -> None:
    shown = await agent.card(ticket)
    assert "tk:resolve:" not in str(shown.buttons())  # the card does not offer it
    pressed = await agent.press_raw(f"tk:resolve:{ticket.id}:{ticket.version}", shown.message_id)
    assert pressed == "这张工单还没有人接单。"  # a button of an older card: refused all the same
    await assert_refused(
        app, ticket, who=desk.AGENT, action="ticket.resolve", reason="illegal_transition"
    )


async def test_a_button_pressed_in_a_group_nobody_bound_is_refused(
    app: Application, telegram: FakeTelegramServer, ticket: Ticket, agent: StaffChat
) -> None:
    telegram.add_group(-1009000000777, "野群")
    alert = await agent.press_raw(f"tk:take:{ticket.id}:1", 1, chat_id=-1009000000777)
    assert alert == "本群不是工作群。"
    await assert_refused(
        app, ticket, who=desk.AGENT, action="ticket.take", reason="group_not_bound"
    )


async def test_someone_elses_reply_prompt_cannot_be_used(
    app: Application,
    telegram: FakeTelegramServer,
    ticket: Ticket,
    agent: StaffChat,
    manager: StaffChat,
) -> None:
    prompt = await agent.open_from_card(ticket, "reply", "✍️")
    assert await manager.press_label(prompt, "✖ 取消") == "这条提示不是给您的，或已失效。"
    await assert_refused(
        app, ticket, who=desk.MANAGER, action="ticket.compose", reason="not_your_prompt"
    )
    # A reply to the prompt by someone else is not taken as the answer either.
    manager.reply(prompt, "我来回复")
    agent.reply(prompt, "马上到")
    await agent.bot_says("已发送给")
    await telegram.wait_for(
        "sendMessage", lambda c: "马上到" in c.params["text"], chat_id=desk.RESIDENT
    )
    relayed = [c.params["text"] for c in telegram.calls_of("sendMessage", chat_id=desk.RESIDENT)]
    assert any("马上到" in t for t in relayed) and not any("我来回复" in t for t in relayed)
