"""The FAQ inside "❓ Ask a question" and /faq (issue 18), end to end on the fake Bot API.

A question typed as the description of an inquiry that the FAQ answers gets the answer
first: "This answered it" ends the filing with nothing filed, "I still need help" goes
on with the same filing (the question kept as its description). /faq shows a button
per question; a tap shows its answer. A Chinese reader gets the Chinese answer.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from bot.app.application import Application
from fake_telegram import FakeTelegramServer, FakeUser
from fake_telegram.models import ApiCall
from storage.models import SelfServiceEvent, Ticket, TicketKind
from tests.e2e.notice_support import write_notices_org
from tests.e2e.residents import buttons, press, say, settled, start_filing
from tests.e2e.survey_support import a_resident

FEE_ANSWER = "Pay the management fee at the service centre or by WeChat."


@pytest.fixture
def org_file(tmp_path: Path) -> Path:
    return write_notices_org(tmp_path)


async def asked_in_the_menu(
    telegram: FakeTelegramServer, alice: FakeUser, question: str
) -> ApiCall:
    """ "❓ Ask a question", its category and place, then the question typed; the bot's
    answer to it."""
    category = await start_filing(telegram, alice, "❓ Ask a question")
    place = await press(telegram, alice, category, "Other")
    description = await press(telegram, alice, place, buttons(place)[0])
    assert buttons(description) == [] or "No photos" not in buttons(description)
    return await say(telegram, alice, question)


async def rows(app: Application, model: type) -> list:
    assert app.sessionmaker is not None
    await settled(app)
    async with app.sessionmaker() as session:
        return list((await session.scalars(select(model))).all())


async def test_a_question_the_faq_answers_is_answered_first_and_i_still_need_help_files_it(
    app: Application, telegram: FakeTelegramServer
) -> None:
    alice = await a_resident(app, telegram, 7701, "Alice", language="en", building="3", unit="301")
    answer = await asked_in_the_menu(telegram, alice, "How can I pay the management fee?")
    assert FEE_ANSWER in answer.params["text"]
    assert buttons(answer) == ["✅ This answered it", "🙋 I still need help"]

    photos = await press(telegram, alice, answer, "🙋 I still need help")
    assert "No photos" in buttons(photos)  # the same filing goes on, past the description
    summary = await press(telegram, alice, photos, "No photos")
    assert "How can I pay the management fee?" in summary.params["text"]
    filed = await press(telegram, alice, summary, "✅ Submit")
    assert "SG-000001" in filed.params["text"]
    [ticket] = await rows(app, Ticket)
    assert ticket.kind is TicketKind.INQUIRY
    assert ticket.description == "How can I pay the management fee?"
    [event] = await rows(app, SelfServiceEvent)
    assert (event.kind, event.faq_key, event.outcome) == ("faq", "fees", "help")


async def test_this_answered_it_ends_the_question_with_nothing_filed(
    app: Application, telegram: FakeTelegramServer
) -> None:
    alice = await a_resident(app, telegram, 7702, "Alice", language="en", building="3", unit="302")
    answer = await asked_in_the_menu(telegram, alice, "What are your office hours?")
    assert "Every day 8:30–17:30." in answer.params["text"]
    thanks = await press(telegram, alice, answer, "✅ This answered it")
    assert "Glad it helped" in thanks.params["text"]
    answered = await telegram.wait_for(  # the answer reads back under the question
        "editMessageText", lambda c: c.params["text"].endswith("\n» ✅ This answered it")
    )
    assert "reply_markup" not in answered.params  # its buttons gone
    assert await rows(app, Ticket) == []
    [event] = await rows(app, SelfServiceEvent)
    assert (event.faq_key, event.outcome) == ("hours", "answered")

    other = await asked_in_the_menu(telegram, alice, "Can I keep a dog on the balcony?")
    assert "Every day" not in other.params["text"] and FEE_ANSWER not in other.params["text"]
    assert "No photos" in buttons(other)  # no FAQ for that: the filing goes on


async def test_faq_shows_a_button_per_question_and_a_tap_shows_its_answer(
    app: Application, telegram: FakeTelegramServer
) -> None:
    zhang = await a_resident(
        app, telegram, 7703, "张三", language="zh_CN", building="3", unit="303"
    )
    listed = await say(telegram, zhang, "/faq")
    assert listed.params["text"].startswith("💡 <b>常见问题</b>")
    assert buttons(listed) == ["怎么缴纳物业费？", "服务中心几点上班？"]
    shown = await press(telegram, zhang, listed, "服务中心几点上班？")
    assert "每天 8:30–17:30。" in shown.params["text"]
    again = await press(telegram, zhang, listed, "怎么缴纳物业费？")  # the list stays
    assert "物业费可在服务中心前台或通过微信缴纳。" in again.params["text"]
    assert await rows(app, SelfServiceEvent) == []  # browsing is not a question answered

    asked = await say(telegram, zhang, "请问物业费怎么交？")  # written to the bot: in Chinese
    assert asked.params["text"].startswith("💡 <b>怎么缴纳物业费？</b>")
    assert len(buttons(asked)) == 2
