"""Residents file repairs, complaints, suggestions and questions, with photos and urgency."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from fake_telegram import FakeTelegramServer, FakeUser
from storage.models import Attachment, TicketKind
from tests.e2e import residents
from tests.e2e.chat import ResidentChat
from tests.e2e.conftest import AppFactory, org_file_edited, org_file_with
from tests.e2e.residents import buttons


async def test_repair_with_an_album_of_photos_and_urgency_in_chinese(
    xiaoming: ResidentChat,
) -> None:
    await xiaoming.registered_in_unit()
    category = await xiaoming.start_filing("🔧 报修")
    assert category.params["text"] == "您的报修属于哪一类？"
    assert buttons(category) == ["漏水", "电梯", "噪音", "其他"]

    place = await xiaoming.press(category, "漏水")
    assert buttons(place) == ["🏠 1号楼 101", "🌳 阳光花园：公共区域或整体"]
    asked = await xiaoming.press(place, "🏠 1号楼 101")
    assert "最多 1000 个字" in asked.params["text"]

    photos = await xiaoming.say("厨房水管漏水 💧 <b>很急</b> & 地上全是水")
    assert buttons(photos) == ["不发照片"]

    telegram = xiaoming.telegram
    mark = xiaoming.mark()
    ack = await xiaoming.send_album(3)
    edits = await telegram.wait_for("editMessageText", chat_id=xiaoming.id, since=mark, count=2)
    assert edits[-1].params["text"] == "已添加照片：3/5。可继续发送，或点击“完成”。"
    assert edits[-1].params["message_id"] == ack.result["message_id"]
    sent = telegram.calls_of("sendMessage", chat_id=xiaoming.id)
    assert len(sent) == len([c for c in sent if c.seq < mark]) + 1  # one for the whole album

    urgent = await xiaoming.press(ack, "完成")
    assert buttons(urgent) == ["⚡ 是，紧急", "否"]
    summary = await xiaoming.press(urgent, "⚡ 是，紧急")
    text = summary.params["text"]
    assert "类别：漏水" in text and "地点：阳光花园 1号楼 101" in text
    assert "&lt;b&gt;很急&lt;/b&gt; &amp; 地上全是水" in text  # user text is escaped
    assert "照片：3" in text and "紧急：是" in text
    assert buttons(summary) == ["✅ 提交", "✏️ 修改", "✖️ 取消"]

    mark = xiaoming.mark()
    filed = await xiaoming.press(summary, "✅ 提交")
    assert "单号 <b>SG-000001</b>" in filed.params["text"]
    # Urgent water repair: 30 min to respond, 4 h to resolve; 09:00 Shanghai time now.
    assert "2026-11-02 09:30 前响应" in filed.params["text"]
    assert "2026-11-02 13:00 前处理完毕（北京时间）" in filed.params["text"]

    card = await telegram.wait_for("sendMessage", chat_id=residents.SUNSHINE_GROUP, since=mark)
    assert "SG-000001" in card.params["text"]
    await telegram.wait_for("sendPhoto", chat_id=residents.SUNSHINE_GROUP, since=mark, count=3)

    [ticket] = await xiaoming.tickets()
    assert ticket.kind is TicketKind.REPAIR and ticket.urgent and ticket.category_key == "water"
    assert ticket.description == "厨房水管漏水 💧 <b>很急</b> & 地上全是水"  # stored as written
    assert ticket.property_unit_id is not None and ticket.location_text is None
    assert xiaoming.app.sessionmaker is not None
    async with xiaoming.app.sessionmaker() as session:  # tickets() waited for the commit
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
    alice: ResidentChat, menu: str, category: str, kind: TicketKind
) -> None:
    await alice.registered_in_unit()
    question = await alice.start_filing(menu)
    place = await alice.press(question, category)
    after_place = await alice.press(place, "🌳 阳光花园: common area or general")
    if kind is TicketKind.COMPLAINT:  # a complaint about a common area says where
        assert after_place.params["text"].startswith("Where exactly?")
        after_place = await alice.say("the square by building 2 🕺")
    asked = {
        TicketKind.SUGGESTION: "Please write your suggestion",
        TicketKind.INQUIRY: "Please write your question",
    }
    assert after_place.params["text"].startswith(asked.get(kind, "Please describe it"))
    photos = await alice.say(f"About the {category.lower()}: مرحبا 👋")
    ack = await alice.send_photo()
    assert ack.params["text"] == "Photos attached: 1 of 5. Send more, or press “Done”."
    nxt = await alice.press(ack, "Done")
    if kind is TicketKind.SUGGESTION:  # the lift category allows urgency
        nxt = await alice.press(nxt, "No")
    assert nxt.params["text"].startswith("📝 <b>Please check your")
    filed = await alice.press(nxt, "✅ Submit")
    assert "SG-000001" in filed.params["text"]
    [ticket] = await alice.tickets()
    assert ticket.kind is kind and not ticket.urgent
    assert ticket.description.endswith("مرحبا 👋")  # right-to-left and emoji round-trip
    assert ticket.property_unit_id is None
    if kind is TicketKind.COMPLAINT:
        assert ticket.location_text == "the square by building 2 🕺"
    assert photos.params["text"].startswith("Add photos if they help")


async def test_unbound_resident_may_ask_a_question_but_not_file_a_repair(
    alice: ResidentChat,
) -> None:
    await alice.register()
    refused = await alice.say("🔧 Report a repair")
    assert refused.params["text"].startswith("To file this, first register your unit")
    offer = await alice.message_after(refused)
    assert "🔑 I have a unit code" in buttons(offer)

    question = await alice.start_filing("❓ Ask a question")
    place = await alice.press(question, "Other")
    assert buttons(place) == [
        "🌳 阳光花园: common area or general",
        "🌳 星河广场: common area or general",
    ]
    described = await alice.press(place, "🌳 星河广场: common area or general")
    photos = await alice.say("When is the car park open?")
    summary = await alice.press(photos, "No photos")
    filed = await alice.press(summary, "✅ Submit")
    assert "XH-000001" in filed.params["text"]
    assert described.params["text"].startswith("Please write your question")


async def test_summary_edit_changes_one_field_and_returns_to_the_summary(
    alice: ResidentChat,
) -> None:
    await alice.registered_in_unit()
    described = await alice.filing_until_description("🔧 Report a repair", "Noise", "🏠 1号楼 101")
    photos = await alice.say("Banging pipes at night")
    summary = await alice.press(photos, "No photos")
    assert "Category: Noise" in summary.params["text"]

    fields = await alice.press(summary, "✏️ Change something", expect="editMessageReplyMarkup")
    assert buttons(fields) == ["Category", "Place", "Description", "Photos", "« Back"]
    category = await alice.press(summary, "Category")
    urgent = await alice.press(category, "Water leak")
    assert buttons(urgent) == ["⚡ Yes, urgent", "No"]  # water may be urgent: asked now
    summary = await alice.press(urgent, "No")
    assert "Category: Water leak" in summary.params["text"]
    assert "Banging pipes at night" in summary.params["text"]  # the rest is kept

    cancelled = await alice.press(summary, "✖️ Cancel")
    assert cancelled.params["text"] == "Cancelled."
    assert await alice.tickets() == []
    assert described.params["text"].startswith("Please describe it")


async def test_description_over_the_limit_is_refused_with_the_limit_named(
    alice: ResidentChat,
) -> None:
    await alice.registered_in_unit()
    await alice.filing_until_description("🔧 Report a repair", "Lift", "🏠 1号楼 101")
    refused = await alice.say("电" * 1001)
    assert refused.params["text"] == "This is too long: at most 1000 characters, yours has 1001."
    photos = await alice.say("电" * 1000)
    assert photos.params["text"].startswith("Add photos if they help")


async def test_photo_with_a_caption_answers_the_description_step(alice: ResidentChat) -> None:
    await alice.registered_in_unit()
    await alice.filing_until_description("🔧 Report a repair", "Noise", "🏠 1号楼 101")
    mark = alice.mark()
    ack = await alice.send_album(6, caption="Cracked wall tiles")
    edits = await alice.telegram.wait_for("editMessageText", chat_id=alice.id, since=mark, count=5)
    assert edits[-1].params["text"] == ("Photos attached: 5 of 5, the most allowed. Press “Done”.")
    summary = await alice.press(ack, "Done")
    assert "Description: Cracked wall tiles" in summary.params["text"]
    assert "Photos: 5" in summary.params["text"]


async def test_daily_ticket_limit(
    start_app: AppFactory,
    telegram: FakeTelegramServer,
    resident_en: FakeUser,
    tmp_path,
    org_file,
) -> None:
    limited = org_file_with(org_file, tmp_path, "max_tickets_per_day = 1")
    app = await start_app(bot_config=limited)
    alice = ResidentChat(app, telegram, resident_en, name="Alice")
    await alice.registered_in_unit()
    await alice.filing_until_description(
        "❓ Ask a question", "Other", "🌳 阳光花园: common area or general"
    )
    photos = await alice.say("When is the pool open?")
    summary = await alice.press(photos, "No photos")
    await alice.press(summary, "✅ Submit")

    refused = await alice.say("❓ Ask a question")
    assert refused.params["text"].startswith("You have opened 1 tickets in the last 24 hours")
    app.clock.advance(hours=24, minutes=1)
    intro = await alice.say("❓ Ask a question")
    assert intro.params["text"].startswith("New question")


async def test_other_is_offered_once_where_the_organisation_has_its_own(
    start_app: AppFactory,
    org_file: Path,
    tmp_path: Path,
    telegram: FakeTelegramServer,
    resident_zh: FakeUser,
) -> None:
    own_other = '[[categories]]\nkey = "other"\nname = { zh = "其他", en = "Other" }\n\n[sla]\n'
    with_other = org_file_edited(org_file, tmp_path, ("[sla]\n", own_other))
    app = await start_app(bot_config=with_other)
    xiaoming = ResidentChat(app, telegram, resident_zh, name="张小明")
    await xiaoming.registered_in_unit()
    question = await residents.start_filing(telegram, resident_zh, "🔧 报修")
    assert buttons(question).count("其他") == 1  # the organisation's, no second one added
    chosen = await residents.press(telegram, resident_zh, question, "其他")
    assert "🏠 1号楼 101" in buttons(chosen)  # the category taken: the place is asked next


async def test_a_question_and_a_suggestion_are_asked_for_in_their_own_words(
    alice: ResidentChat, xiaoming: ResidentChat
) -> None:
    await alice.registered_in_unit()
    question = await alice.start_filing("❓ Ask a question")
    place = await alice.press(question, "Noise")
    assert place.params["text"] == "Is your question about your unit, or the community in general?"
    asked = await alice.press(place, "🏠 1号楼 101")
    assert asked.params["text"] == "Please write your question (at most 1000 characters)."
    photos = await alice.say("Are there quiet hours for renovation?")
    summary = await alice.press(photos, "No photos")
    # Noise has no urgency: the summary does not say "Urgent: no" about what was not asked.
    assert "Photos: 0\n\nIs everything right?" in summary.params["text"]
    assert "Urgent" not in summary.params["text"]

    await xiaoming.registered_in_unit(unit="102")
    question = await xiaoming.start_filing("💡 建议")
    place = await xiaoming.press(question, "噪音")
    assert place.params["text"] == "您的建议是关于您的房屋，还是整个小区？"
    asked = await xiaoming.press(place, "🏠 1号楼 102")
    assert asked.params["text"] == "请写下您的建议（最多 1000 个字）。"
