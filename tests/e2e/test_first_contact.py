"""A resident's first minutes with the bot, in Chinese and English."""

from __future__ import annotations

from sqlalchemy import select

from bot.app.application import Application
from fake_telegram import FakeTelegramServer, FakeUser
from storage.models import InboundStatus, InboundUpdate
from tests.conftest import eventually
from tests.e2e.chat import ResidentChat
from tests.e2e.conftest import AppFactory, say


async def test_start_greets_in_chinese_by_default(xiaoming: ResidentChat) -> None:
    reply = await xiaoming.say("/start")
    assert "物业服务中心" in reply.params["text"]
    assert "/help" in reply.params["text"]


async def test_start_and_help_follow_the_telegram_language(alice: ResidentChat) -> None:
    greeting = await alice.say("/start")
    assert greeting.params["text"].startswith("Hello!")
    help_text = (await alice.say("/help")).params["text"]
    assert "What I can do:" in help_text and "/language" in help_text


async def test_unsupported_language_gets_the_organisation_default(
    app: Application, telegram: FakeTelegramServer
) -> None:
    ivan = telegram.user(id=7003, first_name="Ivan", language_code="ru")
    assert "我可以为您做这些" in (await say(telegram, ivan, "/help")).params["text"]


async def test_staff_see_a_staff_hint_in_help(
    app: Application, telegram: FakeTelegramServer
) -> None:
    agent = telegram.user(id=5001, first_name="王芳", language_code="zh-hans")
    assert "工作人员" in (await say(telegram, agent, "/help")).params["text"]


async def test_unknown_command_and_sticker_get_helpful_replies(
    alice: ResidentChat, xiaoming: ResidentChat
) -> None:
    unknown = await alice.say("/frobnicate")
    assert unknown.params["text"] == "I don't know that command. Send /help to see what I can do."

    sticker_reply = await xiaoming.send_unusable("sticker")
    assert "只能接收文字消息和照片" in sticker_reply.params["text"]

    voice_reply = await alice.send_unusable("voice")
    assert voice_reply.params["text"].startswith("I can only read text messages and photos")


async def test_stale_button_is_answered_with_an_alert(alice: ResidentChat) -> None:
    await alice.say("/start")
    answer = await alice.alert_on_raw_press("t:999:take")
    assert answer.params["text"] == "This button is no longer valid."
    assert answer.params["show_alert"] is True


async def test_language_choice_sticks_after_a_restart(
    start_app: AppFactory, telegram: FakeTelegramServer, resident_zh: FakeUser
) -> None:
    first = await start_app()
    xiaoming = ResidentChat(first, telegram, resident_zh, name="张小明")
    question = await xiaoming.say("/language")
    assert question.params["text"] == "请选择语言："
    buttons = [b["text"] for row in question.params["reply_markup"]["keyboard"] for b in row]
    assert buttons == ["简体中文", "English"]

    wrong = await xiaoming.say("Klingon")
    assert wrong.params["text"] == "请在下方键盘中选择一种语言。"

    confirmed = await xiaoming.say("English")
    assert confirmed.params["text"] == "Language set to English."
    await first.stop()

    xiaoming.app = await start_app()
    # A Chinese Telegram client, but the person's own choice wins.
    assert (await xiaoming.say("/help")).params["text"].startswith("What I can do:")


async def test_every_update_is_marked_handled(alice: ResidentChat) -> None:
    await alice.say("/start")
    await alice.say("/help")
    sessionmaker = alice.app.sessionmaker
    assert sessionmaker is not None

    async def statuses() -> list[InboundStatus]:
        async with sessionmaker() as session:
            return list((await session.scalars(select(InboundUpdate.status))).all())

    # The reply goes out just before the transaction commits.
    await eventually(lambda: _all_done(statuses))
    assert await statuses() == [InboundStatus.DONE, InboundStatus.DONE]


async def _all_done(statuses) -> bool:
    return all(s is InboundStatus.DONE for s in await statuses())


async def test_commands_menu_is_published_in_both_languages(
    app: Application, telegram: FakeTelegramServer
) -> None:
    calls = telegram.calls_of("setMyCommands")
    by_language = {
        c.params.get("language_code"): c.params["commands"]
        for c in calls
        if c.params["scope"]["type"] == "all_private_chats"
    }
    assert {c["command"] for c in by_language[None]} >= {"start", "help", "language", "cancel"}
    assert by_language[None][0]["description"] == "重新开始"
    assert by_language["en"][0]["description"] == "Start over"


async def test_the_main_menu_comes_with_the_language_change_in_the_new_language(
    xiaoming: ResidentChat,
) -> None:
    await xiaoming.registered_in_unit()
    await xiaoming.say("/language")
    confirmed = await xiaoming.say("English")
    assert confirmed.params["text"] == "Language set to English."
    keyboard = confirmed.params["reply_markup"]["keyboard"]
    menu = [b["text"] for row in keyboard for b in row]
    assert "🔧 Report a repair" in menu  # the main menu, in English at once
    assert not any("报修" in text for text in menu)
