"""The card in the staff group says which language the resident reads when it is not the
group's, so that staff answer in it; the resident is still named by initials only."""

from __future__ import annotations

from pathlib import Path

from bot.app.application import Application
from fake_telegram import FakeTelegramServer, FakeUser
from tests.e2e.chat import ResidentChat
from tests.e2e.conftest import AppFactory, org_file_edited
from tests.e2e.staff_helpers import PLAZA_GROUP, SUNSHINE_GROUP, card, file_ticket
from tests.e2e.test_ticket_audiences import ENGLISH_PLAZA


async def test_an_english_readers_card_says_so_in_the_chinese_group(
    app: Application, telegram: FakeTelegramServer, alice: ResidentChat, xiaoming: ResidentChat
) -> None:
    await alice.registered_in_unit()
    await xiaoming.registered_in_unit(unit="102")
    english = await file_ticket(
        app, telegram, resident_id=alice.id, name=alice.name, description="Tap leaking"
    )
    chinese = await file_ticket(
        app, telegram, resident_id=xiaoming.id, name=xiaoming.name, description="水管漏水"
    )
    english_card = (await card(telegram, SUNSHINE_GROUP, english.number)).text or ""
    assert "住户：A**（英文）" in english_card
    assert "Alice" not in english_card
    chinese_card = (await card(telegram, SUNSHINE_GROUP, chinese.number)).text or ""
    assert "住户：张** · " in chinese_card  # the group's own language: nothing to say

    # Once she chooses Chinese, the card she files next says nothing more.
    asked = await alice.say("/language")
    assert "简体中文" in str(asked.params.get("reply_markup"))
    await alice.say("简体中文")
    later = await file_ticket(
        app, telegram, resident_id=alice.id, name=alice.name, description="门锁坏了"
    )
    later_card = (await card(telegram, SUNSHINE_GROUP, later.number)).text or ""
    assert "住户：A** · " in later_card and "英文" not in later_card


async def test_an_english_group_reads_that_a_resident_reads_chinese(
    start_app: AppFactory,
    org_file: Path,
    tmp_path: Path,
    telegram: FakeTelegramServer,
    resident_zh: FakeUser,
) -> None:
    app = await start_app(bot_config=org_file_edited(org_file, tmp_path, ENGLISH_PLAZA))
    xiaoming = ResidentChat(app, telegram, resident_zh, name="张小明")
    await xiaoming.registered_in_unit()
    ticket = await file_ticket(
        app, telegram, resident_id=xiaoming.id, name=xiaoming.name, project="plaza"
    )
    shown = (await card(telegram, PLAZA_GROUP, ticket.number)).text or ""
    assert "Resident: 张** (Chinese)" in shown
