"""Staff groups: who may bind one, strangers' groups refused and left, forum topics,
supergroup migration, anonymous admins, and invitations for new staff."""

from __future__ import annotations

from sqlalchemy import select

from bot.app.application import Application
from bot.clock import ManualClock
from fake_telegram import FakeTelegramServer, FakeUser
from storage.models import OrgUnit, Person, StaffMembership, StaffRole
from tests.conftest import eventually
from tests.e2e import staff_helpers as desk
from tests.e2e.conftest import say

NEW_GROUP = -1009000000300


async def unit(app: Application, key: str) -> OrgUnit:
    assert app.sessionmaker is not None
    async with app.sessionmaker() as session:
        found = await session.scalar(select(OrgUnit).where(OrgUnit.key == key))
        assert found is not None
        return found


async def move_here(
    telegram: FakeTelegramServer, manager: FakeUser, chat_id: int, *, since: int = 0
) -> str:
    """Sunshine already has a group: the manager confirms moving it to ``chat_id``; the
    question then says what was done."""
    question = await desk.bot_says(telegram, chat_id, "已经有工作群", since=since)
    await desk.alert(telegram, telegram.press(manager, question, text="✅ 改绑到本群"))

    def answered() -> str | None:
        now = telegram.message(chat_id, question.message_id)
        text = (now.text if now else None) or ""
        return text if "已经有工作群" not in text else None

    return await eventually(answered)


async def _bound_to(app: Application, key: str, chat_id: int) -> bool:
    return (await unit(app, key)).group_chat_id == chat_id


async def test_a_stranger_adding_the_bot_to_their_group_is_refused_and_the_bot_leaves(
    app: Application, telegram: FakeTelegramServer
) -> None:
    stranger = telegram.user(id=8100, first_name="路人")
    telegram.bot_added_to_group(NEW_GROUP, stranger, title="随便一个群")
    await desk.bot_says(telegram, NEW_GROUP, "再见")
    await telegram.wait_for("leaveChat", chat_id=NEW_GROUP)
    refused = await eventually(lambda: _refused(app, "group.refuse"))
    assert refused[0].actor_telegram_id == stranger.id


async def _refused(app: Application, action: str):
    return [e for e in await desk.refusals(app) if e.action == action]


async def test_a_manager_adds_the_bot_and_binds_the_group_with_bindgroup(
    app: Application, telegram: FakeTelegramServer
) -> None:
    manager = desk.staff_user(telegram, desk.MANAGER)
    telegram.bot_added_to_group(NEW_GROUP, manager, title="阳光花园新群")
    await desk.bot_says(telegram, NEW_GROUP, "/bindgroup")  # stays, and says how to bind
    assert not telegram.calls_of("leaveChat")
    mark = telegram.mark()
    telegram.send_text(manager, "/bindgroup", chat_id=NEW_GROUP)
    done = await move_here(telegram, manager, NEW_GROUP, since=mark)  # sunshine had a group
    assert "本群现在是 阳光花园 的工作群" in done
    await eventually(lambda: _bound_to(app, "sunshine", NEW_GROUP))  # committed after the answer
    bound = [e for e in await desk.audit_entries(app) if e.action == "group.bind"]
    assert bound[0].actor_telegram_id == desk.MANAGER and bound[0].outcome == "allowed"
    assert bound[0].data["previous_chat_id"] == desk.SUNSHINE_GROUP
    ticket = await desk.file_ticket(app, telegram)
    await desk.card(telegram, NEW_GROUP, ticket.number)


async def test_telegram_group_admins_without_a_role_cannot_bind_and_the_bot_leaves(
    app: Application, telegram: FakeTelegramServer
) -> None:
    manager = desk.staff_user(telegram, desk.MANAGER)
    owner = telegram.user(id=8200, first_name="群主")
    telegram.bot_added_to_group(NEW_GROUP, manager)
    await desk.bot_says(telegram, NEW_GROUP, "/bindgroup")
    telegram.set_member_status(NEW_GROUP, owner, "creator")  # grants nothing here
    telegram.send_text(owner, "/bindgroup sunshine", chat_id=NEW_GROUP)
    await desk.bot_says(telegram, NEW_GROUP, "只有项目、区域或总部的经理或管理员可以这样做")
    await telegram.wait_for("leaveChat", chat_id=NEW_GROUP)
    assert (await unit(app, "sunshine")).group_chat_id == desk.SUNSHINE_GROUP
    assert (await _refused(app, "group.bind"))[0].reason == "no_role"


async def test_an_agent_cannot_bind_a_group_to_their_project(
    app: Application, telegram: FakeTelegramServer
) -> None:
    agent = desk.staff_user(telegram, desk.AGENT)
    telegram.send_text(agent, "/bindgroup", chat_id=desk.SUNSHINE_GROUP)  # a bound group
    await desk.bot_says(
        telegram, desk.SUNSHINE_GROUP, "只有项目、区域或总部的经理或管理员可以这样做"
    )
    assert not telegram.calls_of("leaveChat")  # a bound group is not left


async def test_any_command_in_an_unbound_group_is_refused_and_the_bot_leaves(
    app: Application, telegram: FakeTelegramServer
) -> None:
    telegram.add_group(NEW_GROUP, "没人绑定的群")  # we are in it, nobody bound it
    resident = telegram.user(id=desk.RESIDENT, first_name="小明")
    telegram.send_text(resident, "/queue", chat_id=NEW_GROUP)
    await desk.bot_says(telegram, NEW_GROUP, "再见")
    await telegram.wait_for("leaveChat", chat_id=NEW_GROUP)
    refused = await eventually(lambda: _refused(app, "group.refuse"))
    assert refused[0].reason == "command_in_unbound_group"


async def test_commands_of_anonymous_admins_are_refused(
    app: Application, telegram: FakeTelegramServer
) -> None:
    telegram.send_as_anonymous_admin(desk.SUNSHINE_GROUP, "/queue")
    answer = await desk.bot_says(telegram, desk.SUNSHINE_GROUP, "匿名")
    assert "您自己的账号" in answer.text
    refused = await eventually(lambda: _refused(app, "group.command"))
    assert refused[0].reason == "anonymous_admin" and refused[0].actor_telegram_id is None


async def test_binding_in_a_forum_topic_sends_tickets_to_that_topic(
    app: Application, telegram: FakeTelegramServer
) -> None:
    telegram.add_group(NEW_GROUP, "物业论坛", is_forum=True)
    manager = desk.staff_user(telegram, desk.MANAGER)
    telegram.send_text(manager, "/bindgroup sunshine", chat_id=NEW_GROUP, message_thread_id=77)
    # The group was not bound yet, but a manager asked: no leaving.
    assert "本话题现在是 阳光花园 的工作台" in await move_here(telegram, manager, NEW_GROUP)
    await eventually(lambda: _bound_to(app, "sunshine", NEW_GROUP))  # committed after the answer
    sunshine = await unit(app, "sunshine")
    assert (sunshine.group_chat_id, sunshine.group_thread_id) == (NEW_GROUP, 77)
    ticket = await desk.file_ticket(app, telegram)
    posted = await desk.card(telegram, NEW_GROUP, ticket.number)
    assert posted.get("message_thread_id") == 77
    # Pressing a button in the topic answers in the topic.
    desk.press(telegram, manager, posted, "note")
    prompt = await desk.bot_says(telegram, NEW_GROUP, "📝")
    assert prompt.get("message_thread_id") == 77


async def test_a_group_upgraded_to_a_supergroup_keeps_its_binding_and_cards(
    app: Application, telegram: FakeTelegramServer
) -> None:
    basic, upgraded = -5000, -1009000000600
    manager = desk.staff_user(telegram, desk.MANAGER)
    telegram.bot_added_to_group(basic, manager, title="阳光花园", type="group")
    await desk.bot_says(telegram, basic, "/bindgroup")
    telegram.send_text(manager, "/bindgroup sunshine", chat_id=basic)
    assert "本群现在是 阳光花园 的工作群" in await move_here(telegram, manager, basic)
    await eventually(lambda: _bound_to(app, "sunshine", basic))
    ticket = await desk.file_ticket(app, telegram)
    await desk.card(telegram, basic, ticket.number)

    telegram.migrate_group(basic, upgraded, by_user=manager)
    moved = await desk.card(telegram, upgraded, ticket.number)  # posted anew in the supergroup
    assert (await unit(app, "sunshine")).group_chat_id == upgraded
    assert [e for e in await desk.audit_entries(app) if e.action == "group.migrated"]

    # Work goes on in the new chat: the new card is the one edited.
    taken = desk.press(telegram, desk.staff_user(telegram, desk.MANAGER), moved, "take")
    assert "SG-000001" in await desk.alert(telegram, taken)
    await eventually(lambda: "李强" in (telegram.message(upgraded, moved.message_id).text or ""))
    assert (await desk.reload(app, ticket.id)).card_chat_id == upgraded
    cards = [m for m in telegram.messages_in(upgraded) if ticket.number in (m.text or "")]
    assert len(cards) == 1  # both service messages were handled, one card was posted


async def test_an_invitation_link_registers_its_first_opener_once(
    app: Application, telegram: FakeTelegramServer, clock: ManualClock
) -> None:
    manager = desk.staff_user(telegram, desk.MANAGER)
    answer = (await say(telegram, manager, "/invite agent")).params["text"]
    link = next(word for word in answer.split() if word.startswith("https://t.me/"))
    assert link.startswith("https://t.me/resident_test_bot?start=inv_")
    payload = link.split("start=")[1]

    newcomer = telegram.user(id=8300, first_name="周", last_name="杰")
    welcome = (await say(telegram, newcomer, f"/start {payload}")).params["text"]
    assert "您现在是 阳光花园 的客服专员" in welcome
    await desk.bot_says(telegram, manager.id, "周 杰 已通过您的邀请加入 阳光花园，担任客服专员")
    queue = (await say(telegram, newcomer, "/queue")).params["text"]
    assert "没有未结工单" in queue

    latecomer = telegram.user(id=8301, first_name="吴")
    again = (await say(telegram, latecomer, f"/start {payload}")).params["text"]
    assert again == "这个邀请链接已被使用。"

    second = (await say(telegram, manager, "/invite manager sunshine")).params["text"]
    expired_payload = second.split("start=")[1].split()[0]
    clock.advance(days=4)
    expired = (await say(telegram, latecomer, f"/start {expired_payload}")).params["text"]
    assert "已过期" in expired
    assert {e.reason for e in await _refused(app, "invite.redeem")} == {
        "invite_used",
        "invite_expired",
    }
    assert app.sessionmaker is not None
    async with app.sessionmaker() as session:
        joined = await session.scalar(
            select(StaffMembership)
            .join(Person, Person.id == StaffMembership.person_id)
            .where(Person.telegram_id == newcomer.id)
        )
        assert joined is not None and joined.role is StaffRole.AGENT
        assert await session.scalar(select(Person).where(Person.telegram_id == 8301)) is None


async def test_agents_cannot_invite_and_links_are_not_made_in_groups(
    app: Application, telegram: FakeTelegramServer
) -> None:
    agent = desk.staff_user(telegram, desk.AGENT)
    refused = (await say(telegram, agent, "/invite agent")).params["text"]
    assert refused == "只有项目、区域或总部的经理或管理员可以这样做。"
    telegram.send_text(
        desk.staff_user(telegram, desk.MANAGER), "/invite agent", chat_id=desk.SUNSHINE_GROUP
    )
    await desk.bot_says(telegram, desk.SUNSHINE_GROUP, "请在私聊中向我发送 /invite")
