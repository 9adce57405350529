"""A resident registers: privacy consent, name, own phone number, and a unit."""

from __future__ import annotations

from sqlalchemy import select

from bot.app.application import Application
from fake_telegram import FakeTelegramServer, FakeUser
from storage.models import Person, ResidentUnit
from tests.conftest import eventually
from tests.e2e import residents
from tests.e2e.conftest import org_file_with, say


async def person(app: Application, telegram_id: int) -> Person | None:
    assert app.sessionmaker is not None
    await residents.settled(app)
    async with app.sessionmaker() as session:
        return await session.scalar(select(Person).where(Person.telegram_id == telegram_id))


async def test_registration_asks_consent_before_storing_anything(
    app: Application, telegram: FakeTelegramServer, resident_zh: FakeUser
) -> None:
    notice = await say(telegram, resident_zh, "/start")
    text = notice.params["text"]
    assert "物业服务中心" in text and "隐私声明" in text and "/forgetme" in text
    assert residents.buttons(notice) == ["✅ 我同意", "不用了，谢谢"]
    assert await person(app, resident_zh.id) is None  # nothing stored before consent

    asked_name = await residents.press(telegram, resident_zh, notice, "✅ 我同意")
    assert residents.reply_buttons(asked_name) == ["小明"]  # the Telegram name, one tap away
    stored = await person(app, resident_zh.id)
    assert stored is not None and stored.consent_version == "1"
    assert stored.consented_at == app.clock.now() and stored.full_name is None

    asked_phone = await say(telegram, resident_zh, "张小明")
    keyboard = asked_phone.params["reply_markup"]["keyboard"]
    assert keyboard[0][0]["request_contact"] is True

    mark = telegram.mark()
    telegram.send_contact(resident_zh, phone_number="8613912345678")
    done = await residents.next_message(telegram, resident_zh, mark)
    assert "您已完成登记" in done.params["text"]
    assert "🔧 报修" in residents.reply_buttons(done)
    offer = await telegram.wait_for(
        "sendMessage", lambda c: "房屋码" in c.params["text"], chat_id=resident_zh.id, since=mark
    )
    assert residents.buttons(offer) == ["🔑 我有房屋码", "🏠 选择我的房屋", "以后再说"]
    stored = await person(app, resident_zh.id)
    assert stored is not None
    assert (stored.full_name, stored.phone) == ("张小明", "+8613912345678")


async def test_declining_stores_nothing(
    app: Application, telegram: FakeTelegramServer, resident_en: FakeUser
) -> None:
    notice = await say(telegram, resident_en, "/start")
    assert notice.params["text"].startswith("Hello!")
    answer = await residents.press(telegram, resident_en, notice, "No, thanks")
    assert "nothing about you has been stored" in answer.params["text"]
    assert await person(app, resident_en.id) is None


async def test_someone_elses_contact_is_refused(
    app: Application, telegram: FakeTelegramServer, resident_en: FakeUser
) -> None:
    await residents.agree_and_give_name(telegram, resident_en, "Alice Smith")

    mark = telegram.mark()
    telegram.send_contact(resident_en, phone_number="+447700900123", contact_user_id=999)
    refused = await residents.next_message(telegram, resident_en, mark)
    assert refused.params["text"].startswith("That is not your own contact.")
    mark = telegram.mark()
    telegram.send_contact(
        resident_en, phone_number="+447700900124", contact_user_id=None, first_name="Bob"
    )
    await residents.next_message(telegram, resident_en, mark)
    assert (await person(app, resident_en.id)).phone is None  # type: ignore[union-attr]

    typed = await say(telegram, resident_en, "+447700900125")
    assert typed.params["text"] == "Please use the button below to share your own phone number."

    mark = telegram.mark()
    telegram.send_contact(resident_en, phone_number="+447700900126")
    done = await residents.next_message(telegram, resident_en, mark)
    assert "you are registered" in done.params["text"]
    assert (await person(app, resident_en.id)).phone == "+447700900126"  # type: ignore[union-attr]


async def test_unit_code_typed_after_registration_binds_once(
    app: Application, telegram: FakeTelegramServer, resident_en: FakeUser
) -> None:
    codes = await residents.issue_code(app)
    offer = await residents.register(telegram, resident_en, "Alice")
    asked = await residents.press(telegram, resident_en, offer, "🔑 I have a unit code")
    assert "ABCD-EFGH-JKMN" in asked.params["text"]
    wrong = await say(telegram, resident_en, "ZZZZ-ZZZZ-ZZZZ")
    assert wrong.params["text"] == "This code is not valid. Please check it and try again."
    code = codes["101"]
    typed = f"{code[:4].lower()} {code[4:8]}-{code[8:]}"  # spaces, dashes, lower case: all fine
    bound = await say(telegram, resident_en, typed)
    assert bound.params["text"].startswith("✅ You are now registered for 阳光花园 1号楼 101")

    neighbour = telegram.user(id=7010, first_name="Bob", language_code="en")
    await residents.register(telegram, neighbour, "Bob")
    reused = await say(telegram, neighbour, code)  # typed outside any step: still a code
    assert reused.params["text"] == "This code has already been used."


async def test_deep_link_code_is_applied_when_registration_completes(
    app: Application, telegram: FakeTelegramServer, resident_zh: FakeUser
) -> None:
    codes = await residents.issue_code(app, building="2")
    bound = await residents.register(
        telegram, resident_zh, "张小明", start=f"/start {codes['101']}"
    )
    assert bound.params["text"].startswith("✅ 您已绑定 阳光花园 2号楼 101")
    assert app.sessionmaker is not None
    await residents.settled(app)
    async with app.sessionmaker() as session:
        assert len((await session.scalars(select(ResidentUnit))).all()) == 1

    # A registered resident opening another deep link is bound at once.
    other = await residents.issue_code(app, building="1")
    again = await say(telegram, resident_zh, f"/start {other['102']}")
    assert "1号楼 102" in again.params["text"]


async def test_wrong_codes_are_rate_limited(
    app: Application, telegram: FakeTelegramServer, resident_en: FakeUser
) -> None:
    codes = await residents.issue_code(app)
    await residents.register(telegram, resident_en, "Alice")
    for attempt in range(5):
        answer = await say(telegram, resident_en, f"ZZZZ-ZZZZ-ZZZ{attempt + 2}")
        assert answer.params["text"].startswith("This code is not valid")
    blocked = await say(telegram, resident_en, codes["101"])
    assert blocked.params["text"] == "Too many wrong codes. Please try again in 61 minutes."
    app.clock.advance(minutes=61)  # type: ignore[attr-defined]
    bound = await say(telegram, resident_en, codes["101"])
    assert bound.params["text"].startswith("✅ You are now registered")


async def test_expired_code_is_refused(
    app: Application, telegram: FakeTelegramServer, resident_en: FakeUser
) -> None:
    codes = await residents.issue_code(app)
    await residents.register(telegram, resident_en, "Alice")
    app.clock.advance(days=31)  # type: ignore[attr-defined]
    expired = await say(telegram, resident_en, codes["101"])
    assert expired.params["text"].startswith("This code has expired.")


async def test_registration_survives_a_restart(
    start_app, telegram: FakeTelegramServer, resident_en: FakeUser
) -> None:
    first = await start_app()
    notice = await say(telegram, resident_en, "/start")
    await residents.press(telegram, resident_en, notice, "✅ I agree")
    await first.stop()

    second = await start_app()
    asked_phone = await say(telegram, resident_en, "Alice Smith")
    assert "share your phone number" in asked_phone.params["text"]
    mark = telegram.mark()
    telegram.send_contact(resident_en, phone_number="+447700900126")
    await residents.next_message(telegram, resident_en, mark)
    await eventually(lambda: _has_phone(second, resident_en.id))


async def _has_phone(app: Application, telegram_id: int) -> bool:
    found = await person(app, telegram_id)
    return found is not None and found.phone is not None


async def test_a_new_privacy_notice_version_asks_for_consent_again(
    start_app, telegram: FakeTelegramServer, resident_en: FakeUser, tmp_path, org_file
) -> None:
    first = await start_app()
    await residents.register(telegram, resident_en, "Alice")
    await first.stop()

    changed = org_file_with(
        org_file,
        tmp_path,
        'privacy_notice_version = "2"\n'
        'privacy_notice = { zh = "新的隐私声明", en = "We also keep <photos> a year." }',
    )
    second = await start_app(bot_config=changed)
    refused = await say(telegram, resident_en, "📋 My tickets")
    assert refused.params["text"] == (
        "Our privacy notice has changed. Please send /start to read it again."
    )
    notice = await say(telegram, resident_en, "/start")
    assert "(version 2)" in notice.params["text"]
    assert "We also keep &lt;photos&gt; a year." in notice.params["text"]
    again = await residents.press(telegram, resident_en, notice, "✅ I agree")
    assert again.params["text"] == "Thank you! Choose what you need from the menu below."
    stored = await person(second, resident_en.id)
    assert stored is not None and stored.consent_version == "2"
    listing = await say(telegram, resident_en, "📋 My tickets")
    assert listing.params["text"].startswith("You have no tickets yet")


async def test_an_own_contact_without_a_usable_number_is_refused_with_the_button_again(
    app: Application, telegram: FakeTelegramServer, resident_en: FakeUser
) -> None:
    await residents.agree_and_give_name(telegram, resident_en, "Alice Smith")

    mark = telegram.mark()
    telegram.send_contact(resident_en, phone_number="12")
    refused = await residents.next_message(telegram, resident_en, mark)
    assert refused.params["text"] == "This does not look like a phone number."
    keyboard = [b for row in refused.params["reply_markup"]["keyboard"] for b in row]
    assert any(button.get("request_contact") for button in keyboard)
    assert (await person(app, resident_en.id)).phone is None  # type: ignore[union-attr]
