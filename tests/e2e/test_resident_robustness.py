"""Residents send the unexpected: stickers, voice, files, locations, old buttons, floods,
and the bot restarts in the middle of a conversation."""

from __future__ import annotations

import pytest

from fake_telegram import FakeTelegramServer, FakeUser
from tests.e2e.chat import ResidentChat
from tests.e2e.conftest import AppFactory, org_file_with
from tests.e2e.residents import buttons, reply_buttons

BAD_INPUTS = ("sticker", "voice", "document", "location")


async def bad_input_answers(resident: ResidentChat, what: str) -> list[str]:
    """Send something unusable; the texts of the bot's answers (a hint, then the question)."""
    first = await resident.send_unusable(what)
    answers = [first.params["text"]]
    try:
        second = await resident.telegram.wait_for(
            "sendMessage", chat_id=resident.id, since=first.seq + 1, timeout=0.5
        )
        answers.append(second.params["text"])
    except AssertionError:
        pass
    return answers


@pytest.mark.parametrize("what", BAD_INPUTS)
async def test_bad_input_at_the_description_and_photo_steps_keeps_the_step(
    alice: ResidentChat, what: str
) -> None:
    await alice.registered_in_unit()
    await alice.filing_until_description("🔧 Report a repair", "Noise", "🏠 1号楼 101")
    answers = await bad_input_answers(alice, what)
    assert answers[0] == "I can only use text here. Please write it."
    assert answers[1].startswith("Please describe it")
    photos = await alice.say("Drilling at 7 am every day")
    assert photos.params["text"].startswith("Add photos")

    answers = await bad_input_answers(alice, what)
    assert answers[0] == "Please send a photo, or press the button."
    assert answers[1].startswith("Add photos")
    text_instead = await alice.say("here is a photo")
    assert text_instead.params["text"] == "Please send a photo, or press the button."


@pytest.mark.parametrize("what", BAD_INPUTS)
async def test_bad_input_in_chinese_at_the_buttons_and_location_steps(
    xiaoming: ResidentChat, what: str
) -> None:
    await xiaoming.registered_in_unit()
    question = await xiaoming.start_filing("📣 投诉")
    answers = await bad_input_answers(xiaoming, what)
    assert answers == ["请点击其中一个按钮。", "您的投诉属于哪一类？"]
    place = await xiaoming.press(question, "噪音")
    location = await xiaoming.press(place, "🌳 阳光花园：公共区域或整体")
    assert location.params["text"].startswith("具体在哪里？")
    answers = await bad_input_answers(xiaoming, what)
    assert answers[0] == "这一步只能接收文字，请输入文字。"
    assert answers[1].startswith("具体在哪里？")


@pytest.mark.parametrize("what", BAD_INPUTS)
async def test_bad_input_during_registration_comment_and_code_steps(
    alice: ResidentChat, what: str
) -> None:
    notice = await alice.say("/start")
    answers = await bad_input_answers(alice, what)
    assert answers[0] == "Please answer the question above first."
    await alice.press(notice, "✅ I agree")
    assert (await bad_input_answers(alice, what))[0] == "Please type your name."
    await alice.say("Alice")
    phone = await bad_input_answers(alice, what)
    assert phone[0] == "Please use the button below to share your own phone number."
    mark = alice.mark()
    alice.telegram.send_contact(alice.user, phone_number="+447700900126")
    await alice.next_message(mark)
    offer = await alice.telegram.wait_for(
        "sendMessage", lambda c: "unit code" in c.params["text"], chat_id=alice.id, since=mark
    )
    await alice.press(offer, "🔑 I have a unit code")
    code = await bad_input_answers(alice, what)
    assert code[0].startswith("Please type the unit code")


async def test_old_and_forged_buttons_change_nothing(alice: ResidentChat) -> None:
    old_question = await alice.abandoned_question()
    stale = await alice.alert_on_press(old_question, "Lift")
    assert stale.params["text"] == "This button is no longer valid."
    assert stale.params["show_alert"] is True

    for forged in ("rf:1:submit:", "rf:999999:cat:lift", "rl:x", "ub:ok:1", "ro:5:repair", "zz"):
        answer = await alice.alert_on_raw_press(forged)
        assert answer.params["text"] == "This button is no longer valid.", forged
        assert answer.params["show_alert"] is True
    mark = alice.mark()
    alice.telegram.press_raw(alice.user, alice.id, 1, "rb:unit:9999")
    refused = await alice.next_message(mark)
    assert refused.params["text"] == "This unit does not exist."
    assert await alice.tickets() == []


async def test_conversation_continues_after_a_restart(
    start_app: AppFactory, telegram: FakeTelegramServer, resident_zh: FakeUser
) -> None:
    xiaoming = ResidentChat(await start_app(), telegram, resident_zh, name="张小明")
    await xiaoming.registered_in_unit()
    await xiaoming.filing_until_description("🔧 报修", "电梯", "🏠 1号楼 101")
    await xiaoming.app.stop()

    xiaoming.app = await start_app()
    photos = await xiaoming.say("电梯按钮失灵")  # the description step, still
    assert buttons(photos) == ["不发照片"]
    ack = await xiaoming.send_photo()
    await xiaoming.app.stop()

    xiaoming.app = await start_app()
    urgent = await xiaoming.press(ack, "完成")
    summary = await xiaoming.press(urgent, "否")
    assert "描述：电梯按钮失灵" in summary.params["text"] and "照片：1" in summary.params["text"]
    filed = await xiaoming.press(summary, "✅ 提交")
    assert "SG-000001" in filed.params["text"]


async def test_cancel_works_at_every_step_and_restores_the_menu(alice: ResidentChat) -> None:
    await alice.registered_in_unit()
    await alice.filing_until_description("🔧 Report a repair", "Noise", "🏠 1号楼 101")
    cancelled = await alice.say("/cancel")
    assert cancelled.params["text"] == "Cancelled."
    assert "🔧 Report a repair" in reply_buttons(cancelled)
    after = await alice.say("/cancel")
    assert after.params["text"] == "There is nothing to cancel."


async def test_a_flood_is_skipped_politely_without_slowing_others(
    alice: ResidentChat, xiaoming: ResidentChat
) -> None:
    await alice.register()
    await xiaoming.register()
    telegram = alice.telegram
    mark = telegram.mark()
    for n in range(40):
        telegram.send_text(alice.user, f"spam {n}")
    telegram.send_text(xiaoming.user, "/help")
    helped = await xiaoming.next_message(mark)
    assert helped.params["text"].startswith("我可以为您做这些")
    told = await alice.next_message(mark)
    assert told.params["text"].startswith("You are sending messages faster than I can read them")
    await telegram.wait_updates_consumed()

    # Once the burst is skipped, the resident is read normally again.
    answer = await alice.say("/help")
    assert answer.params["text"].startswith("What I can do:")
    to_flooder = [c for c in telegram.calls_of("sendMessage", chat_id=alice.id) if c.seq >= mark]
    assert len(to_flooder) == 2  # one polite notice, one answer: nothing for the 40 messages


async def test_too_many_messages_a_minute_are_throttled(
    start_app: AppFactory, telegram: FakeTelegramServer, resident_en: FakeUser, tmp_path, org_file
) -> None:
    strict = org_file_with(org_file, tmp_path, "max_messages_per_minute = 5")
    alice = ResidentChat(await start_app(bot_config=strict), telegram, resident_en, name="Alice")
    for _ in range(5):
        assert (await alice.say("/help")).params["text"].startswith("What I can do")
    slow = await alice.say("/help")
    assert slow.params["text"].startswith("You are sending messages faster")
    mark = telegram.mark()
    telegram.send_text(resident_en, "/help")  # still within the minute: silently skipped
    await telegram.wait_updates_consumed()
    alice.app.clock.advance(minutes=1)
    answer = await alice.say("/help")
    assert answer.params["text"].startswith("What I can do")
    assert [c.seq for c in telegram.calls_of("sendMessage", chat_id=alice.id) if c.seq >= mark] == [
        answer.seq
    ]
