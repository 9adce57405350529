"""Where the organisation file gives a unit an English name, English readers see it:
the manager's invitation, the newcomer's welcome and the manager's news of it, and an
English-speaking regional group's escalations and /bindgroup answers (the notice
composer, /stats and survey campaigns have theirs in their own tests)."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.app.application import Application
from bot.clock import ManualClock
from fake_telegram import FakeTelegramServer
from scheduler import jobs
from tests.conftest import eventually
from tests.e2e import staff_helpers as desk
from tests.e2e.conftest import org_file_edited, say
from tests.e2e.test_sla_escalation import REGION, delivered, file_complaints, sla_texts


@pytest.fixture
def org_file(org_file: Path, tmp_path: Path) -> Path:
    named = 'name = "阳光花园"\n'
    region = 'key = "east"\n'
    return org_file_edited(
        org_file,
        tmp_path,
        (named, named + 'name_en = "Sunshine Garden"\n'),
        # the regional centre's group reads English
        (region, region + 'language = "en"\nname_en = "East China Centre"\n'),
    )


async def test_an_invitation_names_the_project_in_english_for_english_readers(
    app: Application, telegram: FakeTelegramServer
) -> None:
    manager = telegram.user(id=desk.MANAGER, first_name="Li", language_code="en")
    answer = (await say(telegram, manager, "/invite agent")).params["text"]
    assert answer.startswith("Invitation as agent of Sunshine Garden, for one person")
    payload = answer.split("start=")[1].split()[0]

    newcomer = telegram.user(id=8300, first_name="Zhou", language_code="en")
    welcome = (await say(telegram, newcomer, f"/start {payload}")).params["text"]
    assert welcome.startswith("Welcome! You are now agent of Sunshine Garden.")
    await desk.bot_says(telegram, manager.id, "Zhou joined as agent of Sunshine Garden")

    chinese = telegram.user(id=8301, first_name="周", language_code="zh-hans")
    second = (await say(telegram, manager, "/invite agent sunshine")).params["text"]
    welcome = await say(telegram, chinese, f"/start {second.split('start=')[1].split()[0]}")
    assert "您现在是 阳光花园 的客服专员" in welcome.params["text"]


async def test_an_unknown_unit_is_answered_with_the_keys_and_their_names(
    app: Application, telegram: FakeTelegramServer
) -> None:
    manager = telegram.user(id=desk.MANAGER, first_name="Li", language_code="en")
    answer = (await say(telegram, manager, "/invite agent moon")).params["text"]
    assert answer == "There is no unit “moon”. You can invite to: sunshine (Sunshine Garden)"


async def test_an_english_regional_group_reads_the_project_in_english(
    app: Application, telegram: FakeTelegramServer, clock: ManualClock
) -> None:
    await file_complaints(app)
    clock.advance(hours=32)  # 8 h past the response deadline: the region is told
    await jobs.sweep_sla_deadlines(app)
    assert app.sender is not None
    app.sender.wake()
    await delivered(app)
    (region,) = sla_texts(telegram, REGION)
    assert "Sunshine Garden" in region and "阳光花园" not in region


async def test_an_english_group_is_asked_about_a_move_in_its_own_names(
    app: Application, telegram: FakeTelegramServer
) -> None:
    region_manager = desk.staff_user(telegram, desk.REGION_MANAGER)
    mark = telegram.mark()
    telegram.send_text(region_manager, "/bindgroup sunshine", chat_id=REGION)
    question = await desk.bot_says(telegram, REGION, "already has a staff group", since=mark)
    text = question.text or ""
    assert text.startswith("⚠️ Sunshine Garden already has a staff group")
    assert "stop being the staff group of East China Centre" in text

    await desk.alert(telegram, telegram.press(region_manager, question, text="✅ Move it here"))
    bound = "This group is now the staff group of Sunshine Garden"
    await eventually(lambda: bound in (telegram.message(REGION, question.message_id).text or ""))
    told = await desk.bot_says(telegram, desk.SUNSHINE_GROUP, "移到另一个群")
    assert "阳光花园" in (told.text or "")  # the project's own group reads Chinese
