"""The notices and self-service figures (issue 18) where managers read them: /stats,
the XLSX export's Summary sheet and the next morning's daily digest.

One day in the sunshine project: an incident notice reaches building 3's two residents;
one of them reports the water anyway, reads the notice and files nothing (deflected);
two residents ask questions the FAQ answers, one says "This answered it", the other
"I still need help" (a self-service rate of 50%).
"""

from __future__ import annotations

import io
from datetime import UTC, datetime
from pathlib import Path

import pytest
from openpyxl import load_workbook

from bot.app.application import Application
from fake_telegram import FakeTelegramServer, FakeUser
from scheduler.jobs import send_daily_digests
from tests.conftest import eventually
from tests.e2e.conftest import org_file_edited
from tests.e2e.notice_support import write_notices_org
from tests.e2e.residents import buttons, delivered, press, say, settled
from tests.e2e.survey_support import a_resident
from tests.e2e.test_daily_digest import DIGEST_AT_TEN
from tests.e2e.test_notices import MANAGER, SUNSHINE_GROUP, send_directly, sent_to

HQ_GROUP, EAST_GROUP = -1009000000001, -1009000000010
# 10:00 in Shanghai the next day: the digest's time (it covers 2 November).
DIGEST_TIME = datetime(2026, 11, 3, 2, 0, tzinfo=UTC)

NOTICE_LINE = "发送通知：1 条 · 覆盖住户：2 人"
DEFLECTION_LINE = "已有通知覆盖的报事：1 次 · 住户未再报修：1 次"
FAQ_LINE = "常见问题解答：2 次 · 解决了问题：1 次（自助解决率 50%）"


@pytest.fixture
def org_file(tmp_path: Path) -> Path:
    return org_file_edited(write_notices_org(tmp_path), tmp_path, DIGEST_AT_TEN)


async def a_day_of_notices_and_questions(app: Application, telegram: FakeTelegramServer) -> None:
    zhang = await a_resident(
        app, telegram, 7801, "张三", language="zh_CN", building="3", unit="301"
    )
    await a_resident(app, telegram, 7802, "李四", language="zh_CN", building="3", unit="302")
    alice = await a_resident(app, telegram, 7805, "Alice", language="en", building="5", unit="501")
    bob = await a_resident(app, telegram, 7806, "Bob", language="en", building="5", unit="502")
    await send_directly(
        app, ["3"], "incident", "3号楼水管爆裂，正在抢修", category_key="water",
        category_chosen=True,
    )  # fmt: skip
    await delivered(app)

    # The first Chinese words wait for the segmenter's dictionary, loading since the start.
    shown = await say(telegram, zhang, "没水了", timeout=15)
    assert "水管爆裂" in shown.params["text"]
    await press(telegram, zhang, shown, "👌 知道了")  # deflected: nothing filed

    await faq_answer(telegram, alice, "How do I pay the management fee?", "✅ This answered it")
    await faq_answer(telegram, bob, "What are your office hours?", "🙋 I still need help")
    await settled(app)


async def faq_answer(
    telegram: FakeTelegramServer, resident: FakeUser, question: str, pressed: str
) -> None:
    answer = await say(telegram, resident, question)
    assert buttons(answer) == ["✅ This answered it", "🙋 I still need help"]
    await press(telegram, resident, answer, pressed)


async def test_stats_export_and_digest_count_notices_deflections_and_faq_answers(
    app: Application, telegram: FakeTelegramServer
) -> None:
    await a_day_of_notices_and_questions(app, telegram)
    manager = telegram.user(id=MANAGER, first_name="李强")

    await say(telegram, manager, "/stats")
    [report] = await eventually(lambda: sent_to(telegram, MANAGER, "通知与自助服务"))
    assert NOTICE_LINE in report and DEFLECTION_LINE in report and FAQ_LINE in report

    mark = telegram.mark()
    telegram.send_text(manager, "/export 7d")
    document = await telegram.wait_for("sendDocument", chat_id=MANAGER, since=mark)
    upload = document.upload("document")
    assert upload is not None and upload.filename.endswith(".xlsx")
    book = load_workbook(io.BytesIO(upload.data))
    sheet = book.worksheets[0]  # the KPI summary, in the manager's Chinese
    summary = {row[0]: row[1] for row in sheet.iter_rows(min_row=2, values_only=True)}
    assert summary["发送的通知"] == 1
    assert summary["通知覆盖人数"] == 2
    assert summary["已有通知覆盖的报事"] == 1
    assert summary["免于报修的次数"] == 1
    assert summary["常见问题解答次数"] == 2
    assert summary["自助解决率（%）"] == 50.0

    app.clock.set(DIGEST_TIME)  # type: ignore[attr-defined]
    mark = telegram.mark()
    # The project's group, the region's and HQ's (the plaza had nothing: none there).
    assert await send_daily_digests(app) == 3
    for group in (SUNSHINE_GROUP, EAST_GROUP, HQ_GROUP):
        digest = await telegram.wait_for(
            "sendMessage",
            lambda c: "每日简报" in c.params.get("text", ""),
            chat_id=group,
            since=mark,
        )
        text = digest.params["text"]
        assert "2026-11-02" in text and "通知与自助服务" in text
        assert NOTICE_LINE in text and DEFLECTION_LINE in text and FAQ_LINE in text
