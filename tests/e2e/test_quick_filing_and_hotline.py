"""Everyday filing, as residents do it: a clear problem with a photo is filed in three
actions, and a danger shows the emergency number before anything else."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest
from sqlalchemy import func, select

from bot.app.application import Application
from fake_telegram import FakeTelegramServer, FakeUser
from fake_telegram.models import ApiCall
from storage.models import Attachment, TicketKind
from tests.e2e.chat import ResidentChat
from tests.e2e.conftest import AppFactory, org_file_edited
from tests.e2e.residents import buttons


async def confirmed(resident: ResidentChat, offer: ApiCall) -> ApiCall:
    """Press "that's right" on a one-step proposal; the summary that follows."""
    await resident.press(offer, "✅ 对，就这样")
    summary = await resident.next_message(offer.seq + 1)
    while "提交" not in " ".join(buttons(summary)):
        summary = await resident.message_after(summary)
    return summary


async def test_a_photo_with_words_is_filed_in_three_actions(xiaoming: ResidentChat) -> None:
    await xiaoming.registered_in_unit()
    sent_before = xiaoming.telegram.state.next_update_id  # the resident's updates from here
    # 1: the photo, with what the problem is
    offer = await xiaoming.send_photo("卫生间水管漏水了，地上都是水")
    assert "<b>漏水</b>" in offer.params["text"] and "<b>1号楼 101</b>" in offer.params["text"]
    assert buttons(offer) == ["✅ 对，就这样", "✏️ 不是这个", "不用了，谢谢"]
    # 2: kind, category and unit confirmed at once: the summary comes next
    summary = await confirmed(xiaoming, offer)
    text = summary.params["text"]
    assert "类别：漏水" in text and "1号楼 101" in text and "照片：1" in text
    # 3: submit
    filed = await xiaoming.press(summary, "✅ 提交")
    assert "单号 <b>SG-000001</b>" in filed.params["text"]
    assert "（北京时间）" in filed.params["text"]
    (ticket,) = await xiaoming.tickets()
    assert ticket.kind is TicketKind.REPAIR and ticket.category_key == "water"
    assert ticket.description == "卫生间水管漏水了，地上都是水"
    async with xiaoming.app.sessionmaker() as session:
        photos = await session.scalar(select(func.count()).where(Attachment.ticket_id == ticket.id))
    assert photos == 1
    # Three actions, counted: the photo with its caption, "that's right", "submit".
    assert xiaoming.telegram.state.next_update_id - sent_before == 3


async def test_something_else_shows_the_kinds_to_choose_from(alice: ResidentChat) -> None:
    await alice.registered_in_unit()
    offer = await alice.say("There is a water leak under my kitchen sink")
    assert "as a repair about <b>Water leak</b> at <b>1号楼 101</b>" in offer.params["text"]
    edited = await alice.press(offer, "✏️ Something else", expect="editMessageReplyMarkup")
    assert buttons(edited) == ["🔧 Repair", "📣 Complaint", "No, thanks"]


async def test_someone_trapped_in_the_lift_gets_the_hotline_first(
    xiaoming: ResidentChat,
) -> None:
    await xiaoming.registered_in_unit()
    alert = await xiaoming.say("电梯困人了，3号梯卡在5楼")
    assert "021-5555-0100" in alert.params["text"]  # the project's own number
    assert "119" in alert.params["text"]
    offer = await xiaoming.message_after(alert)
    assert "<b>电梯</b>" in offer.params["text"]
    await xiaoming.press(offer, "✅ 对，就这样")
    photos = await xiaoming.next_message(offer.seq + 1)
    while "不发照片" not in buttons(photos):
        photos = await xiaoming.message_after(photos)
    summary = await xiaoming.press(photos, "不发照片")  # no photo came with the words
    assert "紧急：是" in summary.params["text"]  # a danger is urgent where the category allows
    assert "021-5555-0100" not in summary.params["text"]  # shown once, not at every step


async def test_a_danger_typed_in_the_filing_steps_gets_the_hotline(
    alice: ResidentChat,
) -> None:
    await alice.registered_in_unit()
    asked = await alice.filing_until_description("🔧 Report a repair", "Water leak", "🏠 1号楼 101")
    alert = await alice.say("The bathroom is flooding and water reaches the sockets, sparks!")
    assert "emergency line now: 021-5555-0100" in alert.params["text"]
    assert asked.seq < alert.seq


async def test_the_hotline_is_in_help(alice: ResidentChat, app: Application) -> None:
    await alice.registered_in_unit()
    help_text = (await alice.say("/help")).params["text"]
    assert "Emergency hotline (24 hours): 021-5555-0100" in help_text
    assert "/stats" not in help_text and "/queue" not in help_text


async def test_a_greeting_is_not_offered_and_a_plain_photo_asks_for_words(
    xiaoming: ResidentChat,
) -> None:
    await xiaoming.registered_in_unit()
    answer = await xiaoming.send_photo()
    assert "照片需要配合诉求" in answer.params["text"]


async def test_a_common_area_problem_is_proposed_near_the_residents_building(
    xiaoming: ResidentChat,
) -> None:
    await xiaoming.registered_in_unit()
    offer = await xiaoming.send_photo("电梯按钮坏了，按了没反应")
    assert "地点为公共区域（<b>阳光花园 · 1号楼</b>）" in offer.params["text"]
    summary = await confirmed(xiaoming, offer)
    assert "地点：阳光花园 – 1号楼" in summary.params["text"]
    await xiaoming.press(summary, "✅ 提交")
    (ticket,) = await xiaoming.tickets()
    assert ticket.property_unit_id is None and ticket.location_text == "1号楼"


AliceOn = Callable[..., Awaitable[ResidentChat]]


@pytest.fixture
def alice_on(
    start_app: AppFactory,
    org_file: Path,
    tmp_path: Path,
    telegram: FakeTelegramServer,
    resident_en: FakeUser,
) -> AliceOn:
    """``await alice_on((old, new), …)``: a bot started on the organisation file with
    those edits (see ``org_file_edited``), and Alice registered in its 1号楼 101."""

    async def start(*replacements: tuple[str, str]) -> ResidentChat:
        app = await start_app(bot_config=org_file_edited(org_file, tmp_path, *replacements))
        alice = ResidentChat(app, telegram, resident_en, name="Alice")
        await alice.registered_in_unit()
        return alice

    return start


async def test_english_speakers_read_the_english_names(
    alice_on: AliceOn, telegram: FakeTelegramServer, resident_zh: FakeUser
) -> None:
    alice = await alice_on(
        ('name = "阳光花园"\n', 'name = "阳光花园"\nname_en = "Sunshine Garden"\n'),
        ('name = "1号楼"\n', 'name = "1号楼"\n  name_en = "Building 1"\n'),
    )
    offer = await alice.say("The kitchen tap is leaking")
    assert "<b>Building 1 101</b>" in offer.params["text"]
    intro = await alice.press(offer, "✅ Yes, that's right")
    photos = await alice.message_after(intro)
    summary = await alice.press(photos, "No photos")
    assert "Where: Sunshine Garden Building 1 101" in summary.params["text"]
    await alice.press(summary, "✅ Submit")
    listing = await alice.say("📋 My tickets")
    detail = await alice.press(listing, buttons(listing)[0], expect="editMessageText")
    assert "Building 1 101" in detail.params["text"]
    profile = await alice.say("/profile")
    assert "Sunshine Garden Building 1 101" in profile.params["text"]
    xiaoming = ResidentChat(alice.app, telegram, resident_zh, name="张小明")
    await xiaoming.registered_in_unit()
    profile = await xiaoming.say("/profile")
    assert "阳光花园 1号楼 101" in profile.params["text"]


async def test_an_emergency_category_shows_the_hotline_from_the_menu_too(
    alice_on: AliceOn,
) -> None:
    """A category that is a danger in itself (here: lifts) shows the number as soon as it
    is chosen, even when the words say nothing dangerous."""
    alice = await alice_on(('key = "lift"\n', 'key = "lift"\nemergency = true\n'))
    question = await alice.start_filing("🔧 Report a repair")
    alert = await alice.press(question, "Lift")
    assert "emergency line now: 021-5555-0100" in alert.params["text"]
    where = await alice.message_after(alert)
    assert where.params["text"].startswith("Where is it?")


async def test_without_a_project_hotline_residents_read_the_company_number(
    alice_on: AliceOn,
) -> None:
    # Alice is in sunshine, which has no number of its own now.
    alice = await alice_on(('hotline = "021-5555-0100"\n', ""))
    alert = await alice.say("Someone is trapped in the lift on floor 5!")
    assert "400-000-1234" in alert.params["text"]  # the company's number
    offer = await alice.message_after(alert)
    assert "<b>Lift</b>" in offer.params["text"]
    help_text = (await alice.say("/help")).params["text"]
    assert "Emergency hotline (24 hours): 400-000-1234" in help_text


async def test_a_resident_not_registered_reads_the_company_number_in_help(
    xiaoming: ResidentChat,
) -> None:
    # No unit, so no project to take a number from: the company's, not sunshine's.
    help_text = (await xiaoming.say("/help")).params["text"]
    assert "400-000-1234" in help_text and "021-5555-0100" not in help_text
