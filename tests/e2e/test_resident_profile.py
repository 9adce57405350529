"""/profile: a resident sees and changes their name, phone, language and units."""

from __future__ import annotations

from bot.app.application import Application
from fake_telegram import FakeTelegramServer, FakeUser
from tests.e2e import residents
from tests.e2e.conftest import say


async def test_profile_shows_and_changes_name_phone_language_and_units(
    app: Application, telegram: FakeTelegramServer, resident_en: FakeUser
) -> None:
    await residents.registered_in_unit(app, telegram, resident_en, "Alice <Admin>")
    profile = await say(telegram, resident_en, "/profile")
    text = profile.params["text"]
    assert "Name: Alice &lt;Admin&gt;" in text and "Phone: +8613912345678" in text
    assert "Language: English" in text and "• 阳光花园 1号楼 101" in text
    assert residents.buttons(profile) == [
        "✏️ Name",
        "📱 Phone",
        "🌐 Language",
        "➕ Add a unit",
        "🔕 Mute general notices",
        "➖ Remove 1号楼 101",
    ]

    await residents.press(telegram, resident_en, profile, "✏️ Name")
    saved = await say(telegram, resident_en, "Alice Wong")
    assert saved.params["text"] == "Saved."
    updated = await residents.next_message(telegram, resident_en, saved.seq + 1)
    assert "Name: Alice Wong" in updated.params["text"]

    await residents.press(telegram, resident_en, updated, "📱 Phone")
    mark = telegram.mark()
    telegram.send_contact(resident_en, phone_number="+15550001111", contact_user_id=4242)
    refused = await residents.next_message(telegram, resident_en, mark)
    assert refused.params["text"].startswith("That is not your own contact.")
    mark = telegram.mark()
    telegram.send_contact(resident_en, phone_number="+15550002222")
    assert (await residents.next_message(telegram, resident_en, mark)).params["text"] == "Saved."

    profile = await say(telegram, resident_en, "👤 Profile")
    assert "Phone: +15550002222" in profile.params["text"]
    asked = await residents.press(
        telegram, resident_en, profile, "➖ Remove 1号楼 101", expect="editMessageText"
    )
    assert asked.params["text"].startswith("Remove <b>阳光花园 1号楼 101</b> from your units?")
    assert residents.buttons(asked) == ["Yes, remove it", "No, keep it"]
    kept = await residents.press(
        telegram, resident_en, asked, "No, keep it", expect="editMessageText"
    )
    assert "• 阳光花园 1号楼 101" in kept.params["text"]  # a slip of the finger costs nothing
    asked = await residents.press(
        telegram, resident_en, kept, "➖ Remove 1号楼 101", expect="editMessageText"
    )
    removed = await residents.press(
        telegram, resident_en, asked, "Yes, remove it", expect="editMessageText"
    )
    assert "You have no unit yet." in removed.params["text"]

    asked = await residents.press(telegram, resident_en, removed, "🌐 Language")
    assert asked.params["text"] == "Choose your language:"
    switched = await say(telegram, resident_en, "简体中文")
    assert switched.params["text"] == "语言已设置为简体中文。"
    menu = await say(telegram, resident_en, "/profile")
    assert "语言：简体中文" in menu.params["text"]

    offer = await residents.press(telegram, resident_en, menu, "➕ 添加房屋")
    assert residents.buttons(offer) == ["🔑 我有房屋码", "🏠 选择我的房屋", "以后再说"]


async def test_profile_needs_registration(
    app: Application, telegram: FakeTelegramServer, resident_zh: FakeUser
) -> None:
    answer = await say(telegram, resident_zh, "/profile")
    assert answer.params["text"] == "请先登记：发送 /start。"
    text = await say(telegram, resident_zh, "楼道灯坏了")
    assert text.params["text"] == "请先登记：发送 /start。"
