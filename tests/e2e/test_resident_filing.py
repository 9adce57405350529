"""Residents file repairs, complaints, suggestions and questions, with photos and urgency."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from bot.app.application import Application
from fake_telegram import FakeTelegramServer, FakeUser
from storage.models import Attachment, TicketKind
from tests.e2e import residents
from tests.e2e.conftest import org_file_with, say


async def test_repair_with_an_album_of_photos_and_urgency_in_chinese(
    app: Application, telegram: FakeTelegramServer, resident_zh: FakeUser
) -> None:
    await residents.registered_in_unit(app, telegram, resident_zh, "张小明")
    category = await residents.start_filing(telegram, resident_zh, "🔧 报修")
    assert category.params["text"] == "您的报修属于哪一类?"
    assert residents.buttons(category) == ["漏水", "电梯", "噪音", "其他"]

    place = await residents.press(telegram, resident_zh, category, "漏水")
    assert residents.buttons(place) == ["🏠 1号楼 101", "🌳 阳光花园:公共区域或整体"]
    asked = await residents.press(telegram, resident_zh, place, "🏠 1号楼 101")
    assert "最多 1000 个字" in asked.params["text"]

    photos = await say(telegram, resident_zh, "厨房水管漏水 💧 <b>很急</b> & 地上全是水")
    assert residents.buttons(photos) == ["不发照片"]

    mark = telegram.mark()
    telegram.send_album(resident_zh, 3)
    ack = await residents.next_message(telegram, resident_zh, mark)
    edits = await telegram.wait_for("editMessageText", chat_id=resident_zh.id, since=mark, count=2)
    assert edits[-1].params["text"] == "已添加照片:3/5。可继续发送,或点击“完成”。"
    assert edits[-1].params["message_id"] == ack.result["message_id"]
    assert (
        len(telegram.calls_of("sendMessage", chat_id=resident_zh.id))
        == len(
            [c for c in telegram.calls_of("sendMessage", chat_id=resident_zh.id) if c.seq < mark]
        )
        + 1
    )  # one message for the whole album

    urgent = await residents.press(telegram, resident_zh, ack, "完成")
    assert residents.buttons(urgent) == ["⚡ 是,紧急", "否"]
    summary = await residents.press(telegram, resident_zh, urgent, "⚡ 是,紧急")
    text = summary.params["text"]
    assert "类别:漏水" in text and "地点:阳光花园 1号楼 101" in text
    assert "&lt;b&gt;很急&lt;/b&gt; &amp; 地上全是水" in text  # user text is escaped
    assert "照片:3" in text and "紧急:是" in text
    assert residents.buttons(summary) == ["✅ 提交", "✏️ 修改", "✖️ 取消"]

    mark = telegram.mark()
    filed = await residents.press(telegram, resident_zh, summary, "✅ 提交")
    assert "单号 <b>SG-000001</b>" in filed.params["text"]
    # Urgent water repair: 30 min to respond, 4 h to resolve; 09:00 Shanghai time now.
    assert "2026-11-02 09:30 前响应" in filed.params["text"]
    assert "2026-11-02 13:00 前处理完毕(Asia/Shanghai 时间)" in filed.params["text"]

    card = await telegram.wait_for("sendMessage", chat_id=residents.SUNSHINE_GROUP, since=mark)
    assert "SG-000001" in card.params["text"]
    await telegram.wait_for("sendPhoto", chat_id=residents.SUNSHINE_GROUP, since=mark, count=3)

    [ticket] = await residents.tickets_in_db(app)
    assert ticket.kind is TicketKind.REPAIR and ticket.urgent and ticket.category_key == "water"
    assert ticket.description == "厨房水管漏水 💧 <b>很急</b> & 地上全是水"  # stored as written
    assert ticket.property_unit_id is not None and ticket.location_text is None
    assert app.sessionmaker is not None
    async with app.sessionmaker() as session:  # tickets_in_db() waited for the commit
        assert len((await session.scalars(select(Attachment))).all()) == 3


@pytest.mark.parametrize(
    ("menu", "category", "kind"),
    [
        ("📣 Make a complaint", "Noise", TicketKind.COMPLAINT),
        ("💡 Make a suggestion", "Lift", TicketKind.SUGGESTION),
        ("❓ Ask a question", "Other", TicketKind.INQUIRY),
    ],
)
async def test_each_kind_about_a_common_area_with_a_photo_in_english(
    app: Application,
    telegram: FakeTelegramServer,
    resident_en: FakeUser,
    menu: str,
    category: str,
    kind: TicketKind,
) -> None:
    await residents.registered_in_unit(app, telegram, resident_en, "Alice")
    question = await residents.start_filing(telegram, resident_en, menu)
    place = await residents.press(telegram, resident_en, question, category)
    area = "🌳 阳光花园: common area or general"
    after_place = await residents.press(telegram, resident_en, place, area)
    if kind is TicketKind.COMPLAINT:  # a complaint about a common area says where
        assert after_place.params["text"].startswith("Where exactly?")
        after_place = await say(telegram, resident_en, "the square by building 2 🕺")
    assert after_place.params["text"].startswith("Please describe it")
    photos = await say(telegram, resident_en, f"About the {category.lower()}: مرحبا 👋")
    mark = telegram.mark()
    telegram.send_photo(resident_en)
    ack = await residents.next_message(telegram, resident_en, mark)
    assert ack.params["text"] == "Photos attached: 1 of 5. Send more, or press “Done”."
    nxt = await residents.press(telegram, resident_en, ack, "Done")
    if kind is TicketKind.SUGGESTION:  # the lift category allows urgency
        nxt = await residents.press(telegram, resident_en, nxt, "No")
    assert nxt.params["text"].startswith("📝 <b>Please check your")
    filed = await residents.press(telegram, resident_en, nxt, "✅ Submit")
    assert "SG-000001" in filed.params["text"]
    [ticket] = await residents.tickets_in_db(app)
    assert ticket.kind is kind and not ticket.urgent
    assert ticket.description.endswith("مرحبا 👋")  # right-to-left and emoji round-trip
    assert ticket.property_unit_id is None
    if kind is TicketKind.COMPLAINT:
        assert ticket.location_text == "the square by building 2 🕺"
    assert photos.params["text"].startswith("Add photos if they help")


async def test_unbound_resident_may_ask_a_question_but_not_file_a_repair(
    app: Application, telegram: FakeTelegramServer, resident_en: FakeUser
) -> None:
    await residents.register(telegram, resident_en, "Alice")
    refused = await say(telegram, resident_en, "🔧 Report a repair")
    assert refused.params["text"].startswith("To file this, first register your unit")
    offer = await residents.next_message(telegram, resident_en, refused.seq + 1)
    assert "🔑 I have a unit code" in residents.buttons(offer)

    question = await residents.start_filing(telegram, resident_en, "❓ Ask a question")
    place = await residents.press(telegram, resident_en, question, "Other")
    assert residents.buttons(place) == [
        "🌳 阳光花园: common area or general",
        "🌳 星河广场: common area or general",
    ]
    described = await residents.press(
        telegram, resident_en, place, "🌳 星河广场: common area or general"
    )
    photos = await say(telegram, resident_en, "When is the car park open?")
    summary = await residents.press(telegram, resident_en, photos, "No photos")
    filed = await residents.press(telegram, resident_en, summary, "✅ Submit")
    assert "XH-000001" in filed.params["text"]
    assert described.params["text"].startswith("Please describe it")


async def test_summary_edit_changes_one_field_and_returns_to_the_summary(
    app: Application, telegram: FakeTelegramServer, resident_en: FakeUser
) -> None:
    await residents.registered_in_unit(app, telegram, resident_en, "Alice")
    described = await residents.filing_until_description(
        telegram, resident_en, "🔧 Report a repair", "Noise", "🏠 1号楼 101"
    )
    photos = await say(telegram, resident_en, "Banging pipes at night")
    summary = await residents.press(telegram, resident_en, photos, "No photos")
    assert "Category: Noise" in summary.params["text"]

    fields = await residents.press(
        telegram, resident_en, summary, "✏️ Change something", expect="editMessageReplyMarkup"
    )
    assert residents.buttons(fields) == ["Category", "Place", "Description", "Photos", "« Back"]
    category = await residents.press(telegram, resident_en, summary, "Category")
    urgent = await residents.press(telegram, resident_en, category, "Water leak")
    assert residents.buttons(urgent) == ["⚡ Yes, urgent", "No"]  # water may be urgent: asked now
    summary = await residents.press(telegram, resident_en, urgent, "No")
    assert "Category: Water leak" in summary.params["text"]
    assert "Banging pipes at night" in summary.params["text"]  # the rest is kept

    cancelled = await residents.press(telegram, resident_en, summary, "✖️ Cancel")
    assert cancelled.params["text"] == "Cancelled."
    assert await residents.tickets_in_db(app) == []
    assert described.params["text"].startswith("Please describe it")


async def test_description_over_the_limit_is_refused_with_the_limit_named(
    app: Application, telegram: FakeTelegramServer, resident_en: FakeUser
) -> None:
    await residents.registered_in_unit(app, telegram, resident_en, "Alice")
    await residents.filing_until_description(
        telegram, resident_en, "🔧 Report a repair", "Lift", "🏠 1号楼 101"
    )
    refused = await say(telegram, resident_en, "电" * 1001)
    assert refused.params["text"] == "This is too long: at most 1000 characters, yours has 1001."
    photos = await say(telegram, resident_en, "电" * 1000)
    assert photos.params["text"].startswith("Add photos if they help")


async def test_photo_with_a_caption_answers_the_description_step(
    app: Application, telegram: FakeTelegramServer, resident_en: FakeUser
) -> None:
    await residents.registered_in_unit(app, telegram, resident_en, "Alice")
    await residents.filing_until_description(
        telegram, resident_en, "🔧 Report a repair", "Noise", "🏠 1号楼 101"
    )
    mark = telegram.mark()
    telegram.send_album(resident_en, 6, caption="Cracked wall tiles")
    ack = await residents.next_message(telegram, resident_en, mark)
    edits = await telegram.wait_for("editMessageText", chat_id=resident_en.id, since=mark, count=5)
    assert edits[-1].params["text"] == ("Photos attached: 5 of 5, the most allowed. Press “Done”.")
    summary = await residents.press(telegram, resident_en, ack, "Done")
    assert "Description: Cracked wall tiles" in summary.params["text"]
    assert "Photos: 5" in summary.params["text"]


async def test_daily_ticket_limit(
    start_app, telegram: FakeTelegramServer, resident_en: FakeUser, tmp_path, org_file
) -> None:
    limited = org_file_with(org_file, tmp_path, "max_tickets_per_day = 1")
    app = await start_app(bot_config=limited)
    await residents.registered_in_unit(app, telegram, resident_en, "Alice")
    await residents.filing_until_description(
        telegram, resident_en, "❓ Ask a question", "Other", "🌳 阳光花园: common area or general"
    )
    photos = await say(telegram, resident_en, "When is the pool open?")
    summary = await residents.press(telegram, resident_en, photos, "No photos")
    await residents.press(telegram, resident_en, summary, "✅ Submit")

    refused = await say(telegram, resident_en, "❓ Ask a question")
    assert refused.params["text"].startswith("You have opened 1 tickets in the last 24 hours")
    app.clock.advance(hours=24, minutes=1)
    intro = await say(telegram, resident_en, "❓ Ask a question")
    assert intro.params["text"].startswith("New question")
