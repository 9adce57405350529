"""A manager sends the satisfaction questionnaire to a project's residents, who answer
it question by question, pause and resume, get one reminder, answer once; then the
manager stops it. The project has an English name: English readers see it."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.app.application import Application
from bot.clock import ManualClock
from fake_telegram import FakeTelegramServer
from storage.models import SurveyCampaign
from tests.conftest import eventually
from tests.e2e import survey_support as surveys
from tests.e2e.conftest import org_file_edited, say

KEY = "sunshine-20261102"


@pytest.fixture
def org_file(org_file: Path, tmp_path: Path) -> Path:
    named = 'name = "阳光花园"\n'
    return org_file_edited(org_file, tmp_path, (named, named + 'name_en = "Sunshine Garden"\n'))


def answer_button(call, value: str) -> str:
    return next(
        d for d in surveys.button_data(call) if d.startswith("sv:ans:") and d.endswith(f":{value}")
    )


def button(call, action: str) -> str:
    return next(d for d in surveys.button_data(call) if d.startswith(f"sv:{action}:"))


async def test_campaign_partial_answers_resume_reminder_once_and_stop(
    app: Application, telegram: FakeTelegramServer, clock: ManualClock
) -> None:
    alice = telegram.user(id=7101, first_name="Alice", language_code="en")
    bo = telegram.user(id=7102, first_name="波", language_code="zh-hans")
    chen = telegram.user(id=7103, first_name="Chen", language_code="en")
    dora = telegram.user(id=7104, first_name="Dora", language_code="en")
    elsewhere = telegram.user(id=7105, first_name="Eli", language_code="en")
    await surveys.add_resident(app, alice.id, "Alice Wong", language="en", unit="101")
    await surveys.add_resident(app, bo.id, "王波", unit="102")
    await surveys.add_resident(app, chen.id, "Chen Li", language="en", unit="201")
    await surveys.add_resident(app, dora.id, "Dora Ma", language="en", building="2", unit="101")
    await surveys.add_resident(
        app, elsewhere.id, "Eli Xu", language="en", project="plaza", building="A", unit="S01"
    )
    manager = telegram.user(id=surveys.MANAGER, first_name="李强", language_code="en")
    agent = telegram.user(id=5001, first_name="王芳")

    refused = await say(telegram, agent, "/survey start")
    assert refused.params["text"] == "只有经理可以在那里发起或停止问卷。"
    started = await say(telegram, manager, "/survey start")
    assert started.params["text"].startswith(
        f"Survey <b>{KEY}</b> started for Sunshine Garden: 4 residents"
    )

    clock.advance(seconds=1)  # invitations are spread at 25 a second
    app.sender.wake()
    invites = {
        user.id: await surveys.bot_says(telegram, user.id, "Satisfaction survey")
        for user in (alice, chen, dora)
    }
    invites[bo.id] = await surveys.bot_says(telegram, bo.id, "满意度调查")
    assert "3 short questions" in invites[alice.id].params["text"]
    assert "Sunshine Garden" in invites[alice.id].params["text"]
    assert "阳光花园" in invites[bo.id].params["text"]
    assert telegram.messages_in(elsewhere.id) == []

    # Alice answers everything: a rating, the 0–10 question, a suggestion.
    q1 = await surveys.press_then(
        telegram, alice, invites[alice.id], button(invites[alice.id], "go"), "Question 1 of 3"
    )
    assert "Overall, how satisfied" in q1.params["text"]
    q2 = await surveys.press_then(telegram, alice, q1, answer_button(q1, "4"), "Question 2 of 3")
    assert [len(row) for row in q2.params["reply_markup"]["inline_keyboard"]] == [6, 5, 1]
    q3 = await surveys.press_then(telegram, alice, q2, answer_button(q2, "9"), "Question 3 of 3")
    mark = telegram.mark()
    telegram.send_photo(alice)  # a photo for the written answer: asked for words
    nudge = await telegram.wait_for("sendMessage", chat_id=alice.id, since=mark)
    assert nudge.params["text"].startswith("Please write your answer in words, or press Skip.")
    thanks = await say(telegram, alice, "More benches in the garden")
    assert thanks.params["text"] == "Thank you! Your answers have been recorded."
    # The written question, asked twice, keeps no Skip or Pause once answered.
    for asked in (q3, nudge):
        message_id = asked.response["result"]["message_id"]
        await eventually(lambda m=message_id: not telegram.message(alice.id, m).inline_keyboard)
    assert await surveys.answers(
        app, person_id=(await surveys.invitation(app, campaign_key=KEY, position=3)).person_id
    ) == [
        ("overall", 4, None),
        ("nps", 9, None),
        ("suggestion", None, "More benches in the garden"),
    ]
    # One answer per campaign: starting again is refused.
    again = await surveys.press_stale(
        telegram, alice, invites[alice.id], button(invites[alice.id], "go")
    )
    assert again.params["text"] == "You have already answered this survey. Thank you!"
    assert q3 is not None

    # Bo answers one question and pauses; his answer is kept.
    b1 = await surveys.press_then(
        telegram, bo, invites[bo.id], button(invites[bo.id], "go"), "第 1 题，共 3 题"
    )
    b2 = await surveys.press_then(telegram, bo, b1, answer_button(b1, "3"), "第 2 题，共 3 题")
    paused = await surveys.press_then(telegram, bo, b2, button(b2, "pause"), "已暂停")
    assert surveys.button_data(paused)[0].startswith("sv:go:")
    bo_invitation = await surveys.invitation(app, campaign_key=KEY, position=1)
    assert bo_invitation.completed_at is None and bo_invitation.answered_at is not None
    assert await surveys.answers(app, campaign_key=KEY, person_id=bo_invitation.person_id) == [
        ("overall", 3, None)
    ]
    # ...resumes with /survey where he left off; text where buttons are expected asks again;
    # an old question's button changes nothing.
    resumed = await say(telegram, bo, "/survey")
    assert resumed.params["text"].startswith("<b>第 2 题，共 3 题</b>")
    asked_again = await say(telegram, bo, "十分")
    assert asked_again.params["text"].startswith("请使用问题下方的按钮作答。")
    stale = await surveys.press_stale(telegram, bo, b1, answer_button(b1, "5"))
    assert stale.params["show_alert"] and "已经回答过" in stale.params["text"]
    b3 = await surveys.press_then(
        telegram, bo, asked_again, answer_button(asked_again, "10"), "第 3 题，共 3 题"
    )
    await surveys.press_then(telegram, bo, b3, button(b3, "skipq"), "您的回答已记录")
    assert await surveys.answers(app, campaign_key=KEY, person_id=bo_invitation.person_id) == [
        ("overall", 3, None),
        ("nps", 10, None),
    ]

    # Chen answers one question only; Dora nothing. Three days later: one reminder each.
    c1 = await surveys.press_then(
        telegram, chen, invites[chen.id], button(invites[chen.id], "go"), "Question 1 of 3"
    )
    await surveys.press(telegram, chen, c1, answer_button(c1, "2"))
    clock.advance(days=2)
    assert (await surveys.sweep(app)).campaign_reminders == 0
    clock.advance(days=1)
    mark = telegram.mark()
    assert (await surveys.sweep(app)).campaign_reminders == 2
    clock.advance(seconds=1)
    app.sender.wake()
    reminders = {
        user.id: await surveys.bot_says(telegram, user.id, "still open", since=mark)
        for user in (chen, dora)
    }
    clock.advance(days=3)
    assert (await surveys.sweep(app)).campaign_reminders == 0  # only one reminder
    for user in (alice, bo, elsewhere):
        assert not [
            m for m in telegram.messages_in(user.id) if "still open" in (m.data.get("text") or "")
        ]
    c2 = await surveys.press_then(
        telegram, chen, reminders[chen.id], button(reminders[chen.id], "go"), "Question 2 of 3"
    )  # resumed

    # The manager stops the campaign: answering and starting are refused from now on.
    stopped = await say(telegram, manager, f"/survey stop {KEY}")
    assert stopped.params["text"] == (
        f"Survey <b>{KEY}</b> is stopped. 3 of 4 residents answered, 2 completed. "
        "0 invitations not yet delivered were withdrawn."
    )
    late = await surveys.press_stale(telegram, chen, c2, answer_button(c2, "7"))
    assert late.params["text"] == "This survey has ended. Thank you!"
    never = await surveys.press_stale(
        telegram, dora, invites[dora.id], button(invites[dora.id], "go")
    )
    assert never.params["text"] == "This survey has ended. Thank you!"
    assert [q for q, _, _ in await surveys.answers(app, campaign_key=KEY)].count("nps") == 2
    listing = await say(telegram, manager, "/survey")
    stopped = f"<b>{KEY}</b> · Sunshine Garden · stopped: 3 of 4 answered, 2 completed"
    assert stopped in listing.params["text"]
    (campaign,) = await surveys.rows(app, SurveyCampaign)
    assert campaign.stopped_at is not None and campaign.reminded_at is not None
