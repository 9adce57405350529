"""Setting the scene for the notice tests: the test organisation with buildings 3 and 5
in the sunshine project (Sunshine Garden in English), a water category residents report
as "没水了", quiet hours 22:00–08:00 and a FAQ; and the manager composing a notice in
private chat."""

from __future__ import annotations

from pathlib import Path

from fake_telegram import FakeTelegramServer, FakeUser
from fake_telegram.models import ApiCall
from tests.conftest import FIXTURES
from tests.e2e.residents import press, say

MORE_BUILDINGS = """units = ["101"]

[[projects.buildings]]
key = "3"
name = "3号楼"
name_en = "Building 3"
units = ["301", "302", "303"]

[[projects.buildings]]
key = "5"
name = "5号楼"
name_en = "Building 5"
units = ["501", "502"]
"""

NOTICES_SETTINGS = """
[quiet_hours]
start = "22:00"
end = "08:00"

[[faq]]
key = "fees"
question = { zh = "怎么缴纳物业费？", en = "How do I pay the management fee?" }
keywords = { zh = ["物业费", "缴费", "交费"], en = ["management fee", "pay the fee", "fees"] }
phrasings = { zh = ["物业费怎么交"], en = ["how do i pay the management fee"] }
[faq.answer]
zh = "物业费可在服务中心前台或通过微信缴纳。"
en = "Pay the management fee at the service centre or by WeChat."

[[faq]]
key = "hours"
question = { zh = "服务中心几点上班？", en = "When is the service centre open?" }
answer = { zh = "每天 8:30–17:30。", en = "Every day 8:30–17:30." }
keywords = { zh = ["上班时间", "几点上班", "办公时间"], en = ["office hours", "opening hours"] }
"""


def notices_org_text() -> str:
    text = (FIXTURES / "organisation.toml").read_text(encoding="utf-8")
    first = text.index('units = ["101"]\n', text.index('key = "2"'))
    text = text[:first] + MORE_BUILDINGS + text[first + len('units = ["101"]\n') :]
    text = text.replace(
        'keywords = { zh = ["漏水", "水管", "渗水"], en = ["leak", "water", "pipe"] }',
        'keywords = { zh = ["漏水", "水管", "渗水", "没水", "停水"], en = ["leak", "water"] }',
    )
    named = 'name = "阳光花园"\n'
    text = text.replace(named, named + 'name_en = "Sunshine Garden"\n', 1)
    return text + NOTICES_SETTINGS


def write_notices_org(tmp_path: Path) -> Path:
    path = tmp_path / "organisation.toml"
    path.write_text(notices_org_text(), encoding="utf-8")
    return path


async def compose_notice(
    telegram: FakeTelegramServer,
    manager: FakeUser,
    *,
    audience: str,
    buildings: list[str],
    kind: str,
    category: str | None,
    window: str | None,
    text_zh: str,
    text_en: str | None,
    photo: bool = False,
) -> ApiCall:
    """/notice through every step, in Chinese buttons' language of the manager (``photo``:
    the manager sends one at the photo step); returns the preview (with the Send button)."""
    asked = await say(telegram, manager, "/notice")
    asked = await press(telegram, manager, asked, audience)
    if buildings:
        for building in buildings:
            asked = await press(telegram, manager, asked, building, expect="editMessageText")
        asked = await press(telegram, manager, asked, "➡️ 选好了")
    asked = await press(telegram, manager, asked, kind)
    if category is not None:
        asked = await press(telegram, manager, asked, category)
    asked = (
        await say(telegram, manager, window)
        if window
        else await press(telegram, manager, asked, "不设时间段")
    )
    asked = await say(telegram, manager, text_zh)
    asked = (
        await say(telegram, manager, text_en)
        if text_en
        else await press(telegram, manager, asked, "不写英文")
    )
    if photo:
        mark = telegram.mark()
        telegram.send_photo(manager)
        return await telegram.wait_for("sendMessage", chat_id=manager.id, since=mark)
    return await press(telegram, manager, asked, "不加照片")
