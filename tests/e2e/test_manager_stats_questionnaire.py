"""Residents answer the satisfaction questionnaire; the manager's /stats and /export then
show its dimensions (cleanliness, security, …) and the residents' suggestions."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from openpyxl import load_workbook

from bot.app.application import Application
from bot.clock import ManualClock
from fake_telegram import FakeTelegramServer
from fake_telegram.models import ApiCall
from tests.conftest import FIXTURES
from tests.e2e import survey_support as surveys
from tests.e2e.conftest import AppFactory, org_file_edited, say
from tests.e2e.test_manager_stats import exported

EXTRA_QUESTIONS = """
  [[survey.questions]]
  key = "cleanliness"
  text = { zh = "您对公共区域的清洁满意吗？", en = "How clean are the common areas?" }

  [[survey.questions]]
  key = "security"
  text = { zh = "您对小区安全满意吗？", en = "How safe do you feel here?" }
"""


@pytest.fixture
def org_file(tmp_path: Path) -> Path:
    """The test organisation with two more rating questions after "overall"."""
    anchor = '  [[survey.questions]]\n  key = "nps"'
    return org_file_edited(
        FIXTURES / "organisation.toml",
        tmp_path,
        (anchor, EXTRA_QUESTIONS.lstrip("\n") + "\n" + anchor),
    )


@pytest.fixture
async def app(start_app: AppFactory) -> Application:
    return await start_app()


def _button(call: ApiCall, suffix: str) -> str:
    return next(d for d in surveys.button_data(call) if d.endswith(suffix))


async def test_managers_see_the_questionnaires_dimensions_and_suggestions(
    app: Application, telegram: FakeTelegramServer, clock: ManualClock
) -> None:
    alice = telegram.user(id=7101, first_name="Alice", language_code="en")
    bo = telegram.user(id=7102, first_name="波", language_code="zh-hans")
    await surveys.add_resident(app, alice.id, "Alice Wong", language="en", unit="101")
    await surveys.add_resident(app, bo.id, "王波", unit="102")
    manager = telegram.user(id=surveys.MANAGER, first_name="Li", language_code="en")
    started = await say(telegram, manager, "/survey start")
    assert "2 residents" in started.params["text"]
    clock.advance(seconds=1)
    assert app.sender is not None
    app.sender.wake()
    alice_invite = await surveys.bot_says(telegram, alice.id, "Satisfaction survey")
    bo_invite = await surveys.bot_says(telegram, bo.id, "满意度调查")
    assert "5 short questions" in alice_invite.params["text"]

    # overall, cleanliness, security (1–5), then "would you recommend us" (0–10).
    go_alice = next(d for d in surveys.button_data(alice_invite) if d.startswith("sv:go:"))
    q = await surveys.press_then(telegram, alice, alice_invite, go_alice, "Question 1 of 5")
    for number, score in ((2, 4), (3, 5), (4, 3), (5, 9)):
        q = await surveys.press_then(
            telegram, alice, q, _button(q, f":{score}"), f"Question {number} of 5"
        )
    await say(telegram, alice, "More benches in the garden")
    go_bo = next(d for d in surveys.button_data(bo_invite) if d.startswith("sv:go:"))
    q = await surveys.press_then(telegram, bo, bo_invite, go_bo, "第 1 题，共 5 题")
    for number, score in ((2, 2), (3, 3), (4, 4), (5, 6)):
        q = await surveys.press_then(telegram, bo, q, _button(q, f":{score}"), f"第 {number} 题")
    await say(telegram, bo, "楼道的灯坏了很久")
    await surveys.settled(app)

    text = (await say(telegram, manager, "/stats today text")).params["text"]
    assert "<b>Questionnaire</b> (answers in the period, 1–5)" in text
    assert "• Overall satisfaction: 3.0/5 (n=2)" in text
    assert "• Cleanliness: 4.0/5 (n=2)" in text
    assert "• Security and order: 3.5/5 (n=2)" in text
    assert "Suggestions (2):" in text
    assert "“楼道的灯坏了很久”" in text and "“More benches in the garden”" in text
    assert "NPS: +0 (2 answers)" in text  # one promoter (9), one detractor (6)

    manager_zh = telegram.user(id=surveys.MANAGER, first_name="李强", language_code="zh-hans")
    zh = (await say(telegram, manager_zh, "/stats today text")).params["text"]
    assert "• 清洁卫生：4.0/5 分（2 份）" in zh and "建议（2 条）：" in zh

    _, upload = await exported(telegram, manager, "/export today")
    book = load_workbook(io.BytesIO(upload.data))
    summary = {row[0]: row[1:] for row in book["Summary"].iter_rows(min_row=2, values_only=True)}
    assert summary["Cleanliness (mean 1–5)"][0] == 4.0
    assert "2 answers" in summary["Cleanliness (mean 1–5)"][1]
    assert summary["Security and order (mean 1–5)"][0] == 3.5
    assert summary["Suggestions"][0] == 2
    suggestions = list(book["Suggestions"].iter_rows(min_row=2, values_only=True))
    assert sorted(row[3] for row in suggestions) == [
        "More benches in the garden",
        "楼道的灯坏了很久",
    ]
    assert {row[1] for row in suggestions} == {"阳光花园"}
