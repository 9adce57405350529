"""Residents send the unexpected: stickers, voice, files, locations, old buttons, floods,
and the bot restarts in the middle of a conversation."""

from __future__ import annotations

import pytest

from bot.app.application import Application
from fake_telegram import FakeTelegramServer, FakeUser
from tests.e2e import residents
from tests.e2e.conftest import org_file_with, say

BAD_INPUTS = ("sticker", "voice", "document", "location")


def send_bad(telegram: FakeTelegramServer, user: FakeUser, what: str) -> None:
    if what == "sticker":
        telegram.send_sticker(user)
    elif what == "voice":
        telegram.send_voice(user)
    elif what == "document":
        telegram.send_document(user)
    else:
        telegram.send_location(user, 31.23, 121.47)


async def bad_input_answers(telegram: FakeTelegramServer, user: FakeUser, what: str) -> list[str]:
    """Send something unusable; the texts of the bot's answers (a hint, then the question)."""
    mark = telegram.mark()
    send_bad(telegram, user, what)
    first = await residents.next_message(telegram, user, mark)
    answers = [first.params["text"]]
    try:
        second = await telegram.wait_for(
            "sendMessage", chat_id=user.id, since=first.seq + 1, timeout=0.5
        )
        answers.append(second.params["text"])
    except AssertionError:
        pass
    return answers


@pytest.mark.parametrize("what", BAD_INPUTS)
async def test_bad_input_at_the_description_and_photo_steps_keeps_the_step(
    app: Application, telegram: FakeTelegramServer, resident_en: FakeUser, what: str
) -> None:
    await residents.registered_in_unit(app, telegram, resident_en, "Alice")
    await residents.filing_until_description(
        telegram, resident_en, "🔧 Report a repair", "Noise", "🏠 1号楼 101"
    )
    answers = await bad_input_answers(telegram, resident_en, what)
    assert answers[0] == "I can only use text here. Please write it."
    assert answers[1].startswith("Please describe it")
    photos = await say(telegram, resident_en, "Drilling at 7 am every day")
    assert photos.params["text"].startswith("Add photos")

    answers = await bad_input_answers(telegram, resident_en, what)
    assert answers[0] == "Please send a photo, or press the button."
    assert answers[1].startswith("Add photos")
    text_instead = await say(telegram, resident_en, "here is a photo")
    assert text_instead.params["text"] == "Please send a photo, or press the button."


@pytest.mark.parametrize("what", BAD_INPUTS)
async def test_bad_input_in_chinese_at_the_buttons_and_location_steps(
    app: Application, telegram: FakeTelegramServer, resident_zh: FakeUser, what: str
) -> None:
    await residents.registered_in_unit(app, telegram, resident_zh, "张小明")
    question = await residents.start_filing(telegram, resident_zh, "📣 投诉")
    answers = await bad_input_answers(telegram, resident_zh, what)
    assert answers == ["请点击其中一个按钮。", "您的投诉属于哪一类?"]
    place = await residents.press(telegram, resident_zh, question, "噪音")
    location = await residents.press(telegram, resident_zh, place, "🌳 阳光花园:公共区域或整体")
    assert location.params["text"].startswith("具体在哪里?")
    answers = await bad_input_answers(telegram, resident_zh, what)
    assert answers[0] == "这一步只能接收文字,请输入文字。"
    assert answers[1].startswith("具体在哪里?")


@pytest.mark.parametrize("what", BAD_INPUTS)
async def test_bad_input_during_registration_comment_and_code_steps(
    app: Application, telegram: FakeTelegramServer, resident_en: FakeUser, what: str
) -> None:
    notice = await say(telegram, resident_en, "/start")
    answers = await bad_input_answers(telegram, resident_en, what)
    assert answers[0] == "Please answer the question above first."
    await residents.press(telegram, resident_en, notice, "✅ I agree")
    assert (await bad_input_answers(telegram, resident_en, what))[0] == "Please type your name."
    await say(telegram, resident_en, "Alice")
    phone = await bad_input_answers(telegram, resident_en, what)
    assert phone[0] == "Please use the button below to share your own phone number."
    mark = telegram.mark()
    telegram.send_contact(resident_en, phone_number="+447700900126")
    await residents.next_message(telegram, resident_en, mark)
    offer = await telegram.wait_for(
        "sendMessage", lambda c: "unit code" in c.params["text"], chat_id=resident_en.id, since=mark
    )
    await residents.press(telegram, resident_en, offer, "🔑 I have a unit code")
    code = await bad_input_answers(telegram, resident_en, what)
    assert code[0].startswith("Please type the unit code")


async def test_old_and_forged_buttons_change_nothing(
    app: Application, telegram: FakeTelegramServer, resident_en: FakeUser
) -> None:
    old_question = await residents.abandoned_question(app, telegram, resident_en)
    mark = telegram.mark()
    telegram.press(resident_en, residents.message_of(old_question), text="Lift")
    stale = await telegram.wait_for("answerCallbackQuery", since=mark)
    assert stale.params["text"] == "This button is no longer valid."
    assert stale.params["show_alert"] is True

    for forged in ("rf:1:submit:", "rf:999999:cat:lift", "rl:x", "ub:ok:1", "ro:5:repair", "zz"):
        mark = telegram.mark()
        telegram.press_raw(resident_en, resident_en.id, 1, forged)
        answer = await telegram.wait_for("answerCallbackQuery", since=mark)
        assert answer.params["text"] == "This button is no longer valid.", forged
        assert answer.params["show_alert"] is True
    mark = telegram.mark()
    telegram.press_raw(resident_en, resident_en.id, 1, "rb:unit:9999")
    refused = await residents.next_message(telegram, resident_en, mark)
    assert refused.params["text"] == "This unit does not exist."
    assert await residents.tickets_in_db(app) == []


async def test_conversation_continues_after_a_restart(
    start_app, telegram: FakeTelegramServer, resident_zh: FakeUser
) -> None:
    first = await start_app()
    await residents.registered_in_unit(first, telegram, resident_zh, "张小明")
    await residents.filing_until_description(
        telegram, resident_zh, "🔧 报修", "电梯", "🏠 1号楼 101"
    )
    await first.stop()

    second = await start_app()
    photos = await say(telegram, resident_zh, "电梯按钮失灵")  # the description step, still
    assert residents.buttons(photos) == ["不发照片"]
    mark = telegram.mark()
    telegram.send_photo(resident_zh)
    ack = await residents.next_message(telegram, resident_zh, mark)
    await second.stop()

    await start_app()
    urgent = await residents.press(telegram, resident_zh, ack, "完成")
    summary = await residents.press(telegram, resident_zh, urgent, "否")
    assert "描述:电梯按钮失灵" in summary.params["text"] and "照片:1" in summary.params["text"]
    filed = await residents.press(telegram, resident_zh, summary, "✅ 提交")
    assert "SG-000001" in filed.params["text"]


async def test_cancel_works_at_every_step_and_restores_the_menu(
    app: Application, telegram: FakeTelegramServer, resident_en: FakeUser
) -> None:
    await residents.registered_in_unit(app, telegram, resident_en, "Alice")
    await residents.filing_until_description(
        telegram, resident_en, "🔧 Report a repair", "Noise", "🏠 1号楼 101"
    )
    cancelled = await say(telegram, resident_en, "/cancel")
    assert cancelled.params["text"] == "Cancelled."
    assert "🔧 Report a repair" in [
        b["text"] for row in cancelled.params["reply_markup"]["keyboard"] for b in row
    ]
    after = await say(telegram, resident_en, "/cancel")
    assert after.params["text"] == "There is nothing to cancel."


async def test_a_flood_is_skipped_politely_without_slowing_others(
    app: Application, telegram: FakeTelegramServer, resident_en: FakeUser, resident_zh: FakeUser
) -> None:
    await residents.register(telegram, resident_en, "Alice")
    await residents.register(telegram, resident_zh, "张小明")
    mark = telegram.mark()
    for n in range(40):
        telegram.send_text(resident_en, f"spam {n}")
    telegram.send_text(resident_zh, "/help")
    helped = await telegram.wait_for("sendMessage", chat_id=resident_zh.id, since=mark)
    assert helped.params["text"].startswith("我可以为您做这些")
    told = await telegram.wait_for("sendMessage", chat_id=resident_en.id, since=mark)
    assert told.params["text"].startswith("You are sending messages faster than I can read them")
    await telegram.wait_updates_consumed()

    # Once the burst is skipped, the resident is read normally again.
    answer = await say(telegram, resident_en, "/help")
    assert answer.params["text"].startswith("What I can do:")
    to_flooder = [
        c for c in telegram.calls_of("sendMessage", chat_id=resident_en.id) if c.seq >= mark
    ]
    assert len(to_flooder) == 2  # one polite notice, one answer: nothing for the 40 messages


async def test_too_many_messages_a_minute_are_throttled(
    start_app, telegram: FakeTelegramServer, resident_en: FakeUser, tmp_path, org_file
) -> None:
    strict = org_file_with(org_file, tmp_path, "max_messages_per_minute = 5")
    app = await start_app(bot_config=strict)
    for _ in range(5):
        assert (
            (await say(telegram, resident_en, "/help")).params["text"].startswith("What I can do")
        )
    slow = await say(telegram, resident_en, "/help")
    assert slow.params["text"].startswith("You are sending messages faster")
    mark = telegram.mark()
    telegram.send_text(resident_en, "/help")  # still within the minute: silently skipped
    await telegram.wait_updates_consumed()
    app.clock.advance(minutes=1)
    answer = await say(telegram, resident_en, "/help")
    assert answer.params["text"].startswith("What I can do")
    assert [
        c.seq for c in telegram.calls_of("sendMessage", chat_id=resident_en.id) if c.seq >= mark
    ] == [answer.seq]
