"""A resident without a code chooses their unit; the project's staff group approves or rejects."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

from bot.app.application import Application
from fake_telegram import FakeTelegramServer, FakeUser
from storage.models import BindingRequest, BindingStatus, ResidentUnit
from tests.conftest import eventually
from tests.e2e import residents
from tests.e2e.conftest import AppFactory, org_file_edited, say


async def request_unit(
    telegram: FakeTelegramServer, user: FakeUser, project: str, building: str, unit: str
):
    offer = await residents.register(
        telegram, user, "张小明" if user.language_code == "zh-hans" else "Alice"
    )
    choose = "🏠 选择我的房屋" if user.language_code == "zh-hans" else "🏠 Choose my unit"
    projects = await residents.press(telegram, user, offer, choose)
    buildings = await residents.press(telegram, user, projects, project, expect="editMessageText")
    units = await residents.press(telegram, user, buildings, building, expect="editMessageText")
    return await residents.press(telegram, user, units, unit)


async def group_card(telegram: FakeTelegramServer, mark: int = 0):
    return await telegram.wait_for(
        "sendMessage",
        lambda c: "房屋绑定申请" in c.params["text"],
        chat_id=residents.SUNSHINE_GROUP,
        since=mark,
    )


async def test_staff_of_the_project_approve_a_unit_request(
    app: Application, telegram: FakeTelegramServer, resident_zh: FakeUser
) -> None:
    sent = await request_unit(telegram, resident_zh, "阳光花园", "1号楼", "201")
    assert "已发送给物业" in sent.params["text"]

    card = await group_card(telegram)
    text = card.params["text"]
    assert "张小明" in text and "阳光花园 1号楼 201" in text
    assert "+861****5678" in text and "8613912345678" not in text  # phone masked in the group
    assert residents.buttons(card) == ["✅ 批准", "❌ 拒绝"]

    stranger = telegram.user(id=7777, first_name="Eve")
    telegram.set_member_status(residents.SUNSHINE_GROUP, stranger, "member")
    mark = telegram.mark()
    telegram.press(stranger, residents.message_of(card), text="✅ 批准")
    refused = await telegram.wait_for("answerCallbackQuery", since=mark)
    assert refused.params["text"] == "只有本项目的工作人员才能确认住户。"
    assert refused.params["show_alert"] is True

    agent = telegram.user(id=5001, first_name="王芳")
    mark = telegram.mark()
    telegram.press(agent, residents.message_of(card), text="✅ 批准")
    edited = await telegram.wait_for(
        "editMessageText", chat_id=residents.SUNSHINE_GROUP, since=mark
    )
    assert "✅ 已由 王芳 批准" in edited.params["text"]
    assert not residents.buttons(edited)
    told = await telegram.wait_for("sendMessage", chat_id=resident_zh.id, since=mark)
    assert (
        told.params["text"] == "✅ 物业已确认您的房屋 阳光花园 1号楼 201，现在可以为它提交诉求了。"
    )

    # A second press (an old copy of the card) changes nothing.
    manager = telegram.user(id=5002, first_name="李强")
    mark = telegram.mark()
    telegram.press_raw(
        manager, residents.SUNSHINE_GROUP, residents.message_of(card)["message_id"], "ub:no:1"
    )
    again = await telegram.wait_for("answerCallbackQuery", since=mark)
    assert again.params["text"] == "该申请已处理。"
    assert app.sessionmaker is not None
    await residents.settled(app)
    async with app.sessionmaker() as session:
        request = await session.scalar(select(BindingRequest))
        assert request is not None and request.status is BindingStatus.APPROVED
        assert len((await session.scalars(select(ResidentUnit))).all()) == 1

    profile = await say(telegram, resident_zh, "👤 个人资料")
    assert "阳光花园 1号楼 201" in profile.params["text"]


async def test_a_rejected_request_binds_nothing_and_tells_the_resident(
    app: Application, telegram: FakeTelegramServer, resident_en: FakeUser
) -> None:
    await request_unit(telegram, resident_en, "阳光花园", "2号楼", "101")
    card = await group_card(telegram)
    regional = telegram.user(id=5010, first_name="陈静")  # a regional manager may decide too
    mark = telegram.mark()
    telegram.press(regional, residents.message_of(card), text="❌ 拒绝")
    edited = await telegram.wait_for(
        "editMessageText", chat_id=residents.SUNSHINE_GROUP, since=mark
    )
    assert "❌ 已由 陈静 拒绝" in edited.params["text"]
    told = await telegram.wait_for("sendMessage", chat_id=resident_en.id, since=mark)
    assert told.params["text"].startswith("The property office could not confirm your unit")
    assert app.sessionmaker is not None
    await residents.settled(app)
    async with app.sessionmaker() as session:
        assert (await session.scalars(select(ResidentUnit))).all() == []


async def test_the_same_unit_cannot_be_requested_twice_while_waiting(
    app: Application, telegram: FakeTelegramServer, resident_en: FakeUser
) -> None:
    await request_unit(telegram, resident_en, "阳光花园", "1号楼", "101")
    mark = telegram.mark()
    telegram.press_raw(resident_en, resident_en.id, 1, "rb:unit:1")
    again = await telegram.wait_for("sendMessage", chat_id=resident_en.id, since=mark)
    assert again.params["text"] == (
        "Your request for this unit is already waiting for the property office."
    )


async def plaza_buildings(telegram: FakeTelegramServer, user: FakeUser):
    """An English-speaking newcomer registers and chooses 星河广场: the buildings offered."""
    offer = await residents.register(telegram, user, "Alice")
    projects = await residents.press(telegram, user, offer, "🏠 Choose my unit")
    return await residents.press(telegram, user, projects, "星河广场", expect="editMessageText")


async def test_typed_unit_number_is_accepted_after_choosing_the_building(
    app: Application, telegram: FakeTelegramServer, resident_en: FakeUser
) -> None:
    await residents.press(
        telegram,
        resident_en,
        await plaza_buildings(telegram, resident_en),
        "A座",
        expect="editMessageText",
    )
    wrong = await say(telegram, resident_en, "S99")
    assert wrong.params["text"].startswith("There is no unit with this number")
    sent = await say(telegram, resident_en, "s02")
    assert "星河广场 A座 S02" in sent.params["text"]
    card = await telegram.wait_for("sendMessage", chat_id=-1009000000200)
    assert "星河广场 A座 S02" in card.params["text"]


async def test_back_returns_to_the_step_before_and_forgets_the_building(
    app: Application, telegram: FakeTelegramServer, resident_en: FakeUser
) -> None:
    buildings = await plaza_buildings(telegram, resident_en)
    units = await residents.press(telegram, resident_en, buildings, "A座", expect="editMessageText")
    assert residents.buttons(units) == ["S01", "S02", "« Back"]

    again = await residents.press(telegram, resident_en, units, "« Back", expect="editMessageText")
    assert (again.params["text"], residents.buttons(again)) == (
        "Which building?",
        ["A座", "« Back"],
    )
    typed = await say(telegram, resident_en, "S02")  # no building chosen now: not a unit
    assert typed.params["text"].startswith("Choose what you need from the menu below")

    first = await residents.press(telegram, resident_en, again, "« Back", expect="editMessageText")
    assert first.params["text"] == "Which property do you live or work in?"
    assert residents.buttons(first) == ["阳光花园", "星河广场"]
    buildings = await residents.press(
        telegram, resident_en, first, "阳光花园", expect="editMessageText"
    )
    units = await residents.press(
        telegram, resident_en, buildings, "1号楼", expect="editMessageText"
    )
    sent = await residents.press(telegram, resident_en, units, "201")
    assert sent.params["text"].startswith("Your request for 阳光花园 1号楼 201 was sent")


async def test_english_speakers_choose_and_read_the_english_names(
    start_app: AppFactory,
    org_file: Path,
    tmp_path: Path,
    telegram: FakeTelegramServer,
    resident_en: FakeUser,
) -> None:
    """Where the organisation file names a project and a building in English, an English
    speaker chooses among those names and reads them in the bot's answers; the staff group
    reads its own language."""
    named = org_file_edited(
        org_file,
        tmp_path,
        ('name = "阳光花园"\n', 'name = "阳光花园"\nname_en = "Sunshine Garden"\n'),
        ('name = "1号楼"\n', 'name = "1号楼"\n  name_en = "Building 1"\n'),
    )
    app = await start_app(bot_config=named)
    offer = await residents.register(telegram, resident_en, "Alice")
    projects = await residents.press(telegram, resident_en, offer, "🏠 Choose my unit")
    assert residents.buttons(projects) == ["Sunshine Garden", "星河广场"]  # no English name
    buildings = await residents.press(
        telegram, resident_en, projects, "Sunshine Garden", expect="editMessageText"
    )
    assert residents.buttons(buildings) == ["Building 1", "2号楼", "« Back"]
    units = await residents.press(
        telegram, resident_en, buildings, "Building 1", expect="editMessageText"
    )
    sent = await residents.press(telegram, resident_en, units, "201")
    assert sent.params["text"].startswith("Your request for Sunshine Garden Building 1 201 was")
    question = units.result["message_id"]  # now says what was chosen, not asking any more
    chosen = await eventually(
        lambda: (
            (found := telegram.message(resident_en.id, question)) is not None
            and found.text == "🏠 Chosen: Sunshine Garden Building 1 201"
            and found
        )
    )
    assert not chosen.buttons()

    card = await group_card(telegram)
    assert "阳光花园 1号楼 201" in card.params["text"]
    agent = telegram.user(id=5001, first_name="王芳")
    mark = telegram.mark()
    telegram.press(agent, residents.message_of(card), text="✅ 批准")
    told = await telegram.wait_for("sendMessage", chat_id=resident_en.id, since=mark)
    assert told.params["text"].startswith(
        "✅ The property office confirmed your unit Sunshine Garden Building 1 201."
    )

    # A neighbour with a unit code reads the same names.
    codes = await residents.issue_code(app)
    bob = telegram.user(id=7010, first_name="Bob", language_code="en")
    offer = await residents.register(telegram, bob, "Bob")
    await residents.press(telegram, bob, offer, "🔑 I have a unit code")
    bound = await say(telegram, bob, codes["102"])
    assert bound.params["text"].startswith(
        "✅ You are now registered for Sunshine Garden Building 1 102."
    )
