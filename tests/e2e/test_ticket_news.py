"""A resident asking how their requests are getting on ("进度怎么样了？", "any news?") is
told where each open one stands, by its promised time, and may still add the words to
one of them or file them as new."""

from __future__ import annotations

from bot.app.application import Application
from bot.clock import ManualClock
from tests.e2e.chat import ResidentChat
from tests.e2e.residents import buttons
from tests.e2e.test_resident_answers import (
    ADD_TO_WATER,
    WHICH_BUTTONS,
    comments,
    landed_on,
    office_message,
    staff_takes,
    two_open_tickets,
)
from tests.e2e.test_resident_tickets import file_directly


async def test_any_news_is_answered_with_where_each_ticket_stands(
    alice: ResidentChat, app: Application
) -> None:
    first, second = await two_open_tickets(alice)
    await staff_takes(app, first)
    await office_message(alice, "has taken SG-000001")  # before the question, not after
    news = await alice.say("Any news on my repair?")
    assert news.params["text"].split("\n") == [
        "Where your open requests stand:",
        "🆕 <b>SG-000002</b> · Lift — received; the property office will respond by "
        "2026-11-03 09:00",
        "👀 <b>SG-000001</b> · Water leak — taken by the property office; to be resolved by "
        "2026-11-04 09:00",
        "",
        "Tap one to add your message to it, or file it as a new request.",
    ]
    assert buttons(news) == WHICH_BUTTONS
    done = await alice.press(news, ADD_TO_WATER)
    await landed_on(app, done, "SG-000001", first, "Any news on my repair?", not_on=second)


async def test_a_late_ticket_says_so_and_one_ticket_is_enough(
    xiaoming: ResidentChat, app: Application, clock: ManualClock
) -> None:
    await xiaoming.registered_in_unit()
    ticket = await file_directly(xiaoming, "电梯异响", category_key="lift")
    clock.advance(hours=25)  # the answer was due in 24 hours
    news = await xiaoming.say("师傅什么时候来？")
    assert news.params["text"].split("\n")[:2] == [
        "您的未完成诉求目前进展如下：",
        "🆕 <b>SG-000001</b> · 电梯：已收到，原定 2026-11-03 09:00 前响应，抱歉让您久等了",
    ]
    assert buttons(news) == ["💬 补充到 SG-000001 · 电梯", "📝 新的诉求"]
    assert await comments(app, ticket) == []


async def test_news_asked_with_a_danger_gets_the_hotline_first(
    xiaoming: ResidentChat, app: Application
) -> None:
    await xiaoming.registered_in_unit()
    await file_directly(xiaoming, "楼道灯不亮", category_key="lift")
    alert = await xiaoming.say("电梯困人了，什么时候来？")
    assert "021-5555-0100" in alert.params["text"]
