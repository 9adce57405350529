"""Menus and help per role: residents, staff and managers each see their own commands,
in their own language; a staff group sees the group's commands."""

from __future__ import annotations

from bot.app.application import Application
from fake_telegram import FakeTelegramServer
from tests.e2e.chat import ResidentChat, StaffChat
from tests.e2e.residents import buttons, say
from tests.e2e.staff_helpers import ADMIN, AGENT, MANAGER, SUNSHINE_GROUP


def _menu(telegram: FakeTelegramServer, scope: str, language: str = "") -> list[str]:
    return [c["command"] for c in telegram.state.commands.get((scope, language), [])]


async def _own_menu(telegram: FakeTelegramServer, telegram_id: int) -> list[str]:
    """A staff member's own menu, once the outbox has delivered it."""
    await telegram.wait_for(
        "setMyCommands", predicate=lambda c: c.params["scope"].get("chat_id") == telegram_id
    )
    return _menu(telegram, f"chat:chat_id={telegram_id}")


async def test_each_scope_has_its_own_menu(app: Application, telegram: FakeTelegramServer) -> None:
    residents = _menu(telegram, "all_private_chats")
    assert residents[:3] == ["start", "help", "tickets"]
    assert not {"queue", "stats", "audit", "outbox"} & set(residents)
    groups = _menu(telegram, "all_group_chats")
    assert {"queue", "mine", "ticket", "bindgroup", "help"} <= set(groups)
    assert not {"stats", "audit", "tickets", "profile"} & set(groups)
    english = telegram.state.commands[("all_group_chats", "en")]
    assert {"command": "queue", "description": "Open tickets of your projects"} in english
    assert telegram.state.profile["description:en"].startswith("I am the property office")
    assert telegram.state.profile["short_description:"] == "向物业报修、投诉和咨询。"


async def test_staff_managers_and_admins_get_their_own_menus(
    app: Application, telegram: FakeTelegramServer
) -> None:
    agent = await _own_menu(telegram, AGENT)
    assert {"queue", "mine", "ticket", "tickets"} <= set(agent)
    assert not {"stats", "audit", "outbox"} & set(agent)
    manager = await _own_menu(telegram, MANAGER)
    assert {"queue", "stats", "export", "survey", "invite", "audit"} <= set(manager)
    assert "outbox" not in manager and "bindgroup" not in manager  # bindgroup is for groups
    assert "outbox" in await _own_menu(telegram, ADMIN)
    described = telegram.state.commands[(f"chat:chat_id={MANAGER}", "")]
    assert {"command": "stats", "description": "统计与图表"} in described


async def test_a_staff_members_menu_follows_their_language(
    app: Application, telegram: FakeTelegramServer
) -> None:
    await _own_menu(telegram, AGENT)
    agent = telegram.user(id=AGENT, first_name="王芳", language_code="zh-hans")
    mark = telegram.mark()
    await say(telegram, agent, "/language")
    await say(telegram, agent, "English")
    await telegram.wait_for(
        "setMyCommands",
        since=mark,
        predicate=lambda c: c.params["scope"].get("chat_id") == AGENT,
    )
    menu = telegram.state.commands[(f"chat:chat_id={AGENT}", "")]
    assert {"command": "queue", "description": "Open tickets of your projects"} in menu


async def test_help_lists_the_askers_commands(
    alice: ResidentChat, telegram: FakeTelegramServer, app: Application
) -> None:
    await alice.registered_in_unit()
    resident_help = (await alice.say("/help")).params["text"]
    assert "/tickets" in resident_help and "/queue" not in resident_help
    manager = telegram.user(id=MANAGER, first_name="李强", language_code="en")
    manager_help = (await say(telegram, manager, "/help")).params["text"]
    assert "/queue" in manager_help and "/stats" in manager_help and "/audit" in manager_help
    assert "/outbox" not in manager_help
    agent = telegram.user(id=AGENT, first_name="王芳", language_code="en")
    agent_help = (await say(telegram, agent, "/help")).params["text"]
    assert "/queue" in agent_help and "/stats" not in agent_help


async def test_help_in_a_staff_group_lists_the_group_commands(agent: StaffChat) -> None:
    mark = agent.telegram.mark()
    agent.telegram.send_text(agent.user, "/help", chat_id=SUNSHINE_GROUP)
    answer = await agent.telegram.wait_for("sendMessage", chat_id=SUNSHINE_GROUP, since=mark)
    assert "/queue" in answer.params["text"] and "/bindgroup" in answer.params["text"]
    assert "/stats –" not in answer.params["text"]


async def test_accepting_an_invitation_sends_the_new_roles_menu_to_that_chat(
    app: Application, telegram: FakeTelegramServer
) -> None:
    assert "stats" not in await _own_menu(telegram, AGENT)  # an agent's menu, to begin with
    manager = telegram.user(id=MANAGER, first_name="李强")
    answer = (await say(telegram, manager, "/invite manager sunshine")).params["text"]
    payload = answer.split("start=")[1].split()[0]

    mark = telegram.mark()
    agent = telegram.user(id=AGENT, first_name="王芳")
    await say(telegram, agent, f"/start {payload}")  # the agent becomes a manager too
    call = await telegram.wait_for(
        "setMyCommands",
        since=mark,
        predicate=lambda c: c.params["scope"].get("chat_id") == AGENT,
    )
    assert call.params["scope"]["type"] == "chat"  # BotCommandScopeChat: that chat only
    commands = [c["command"] for c in call.params["commands"]]
    assert {"queue", "stats", "export", "invite"} <= set(commands)

    mark = telegram.mark()
    answer = (await say(telegram, manager, "/invite agent sunshine")).params["text"]
    payload = answer.split("start=")[1].split()[0]
    newcomer = telegram.user(id=8400, first_name="周")
    await say(telegram, newcomer, f"/start {payload}")
    call = await telegram.wait_for(
        "setMyCommands", since=mark, predicate=lambda c: c.params["scope"].get("chat_id") == 8400
    )
    commands = [c["command"] for c in call.params["commands"]]
    assert "queue" in commands and "stats" not in commands  # a new agent: the agent's menu


async def test_staff_start_without_registering_and_may_register_as_residents_too(
    app: Application, telegram: FakeTelegramServer
) -> None:
    """A staff member opening the private chat (to get Details, say) is not asked to
    register as a resident: they are greeted as staff, with their commands; registering
    is for their own home, if they live in one of the properties."""
    agent = telegram.user(id=AGENT, first_name="王芳", language_code="zh-hans")
    welcome = await say(telegram, agent, "/start")
    text = welcome.params["text"]
    assert text.startswith("👋 您好，王芳！您是阳光花园的工作人员，工作中使用我无需登记为住户。")
    assert "/queue" in text and "隐私声明" not in text
    # Their own commands first; a resident's last, for their own home.
    assert (
        text.index("/queue")
        < text.index("住户功能</b>（登记为住户后可用）：")
        < text.index("/tickets")
    )
    assert buttons(welcome) == ["🏠 登记为住户"]

    mark = telegram.mark()
    telegram.press(agent, telegram.messages_in(AGENT)[-1], text="🏠 登记为住户")
    consent = await telegram.wait_for("sendMessage", chat_id=AGENT, since=mark)
    assert "隐私声明" in consent.params["text"]
    assert buttons(consent) == ["✅ 我同意", "不用了，谢谢"]
    chosen = telegram.messages_in(AGENT)[-2]  # the welcome: its answer under it
    assert (chosen.text or "").endswith("\n» 🏠 登记为住户") and chosen.buttons() == []

    mark = telegram.mark()
    telegram.press(agent, telegram.messages_in(AGENT)[-1], text="✅ 我同意")
    phone = await telegram.wait_for("sendMessage", chat_id=AGENT, since=mark)
    assert "分享您的电话号码" in phone.params["text"]  # their name is known already

    english = telegram.user(id=MANAGER, first_name="Li", language_code="en")
    welcome = await say(telegram, english, "/start")
    assert welcome.params["text"].startswith(
        "👋 Hello, 李强! You work for 阳光花园: you can use me for that"
    )
    assert "/stats" in welcome.params["text"]
