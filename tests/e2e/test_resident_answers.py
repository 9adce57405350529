"""A resident answering the office lands on the right ticket: by plain text while one
ticket waits for them, by Telegram's reply to the office's message, by the 💬 Reply
button; with several tickets waiting they are asked which. No new-ticket offer."""

from __future__ import annotations

from sqlalchemy import select

from bot.app.application import Application
from bot.services.people import resolve_actor
from bot.services.tickets import lifecycle
from fake_telegram import FakeTelegramServer, StoredMessage
from fake_telegram.models import ApiCall
from storage.models import Attachment, TicketEvent, TicketEventKind
from tests.conftest import eventually
from tests.e2e import residents
from tests.e2e.chat import ResidentChat
from tests.e2e.residents import buttons, message_of
from tests.e2e.test_resident_tickets import file_directly, staff_resolves


async def staff_writes(app: Application, ticket_id: int, text: str, *, asking: bool) -> None:
    """The agent answers the resident through the bot (asking for an answer, or not)."""
    assert app.sessionmaker is not None and app.organisation is not None
    await residents.settled(app)
    async with app.sessionmaker() as session, session.begin():
        agent = await resolve_actor(session, 5001)
        ctx = app.context()
        await lifecycle.reply_to_resident(
            session, ctx, ticket_id, agent, text, ask_for_answer=asking
        )


async def office_message(resident: ResidentChat, fragment: str) -> ApiCall:
    return await resident.telegram.wait_for(
        "sendMessage",
        chat_id=resident.id,
        predicate=lambda c: fragment in c.params.get("text", ""),
    )


async def comments(app: Application, ticket_id: int) -> list[str]:
    await residents.settled(app)
    assert app.sessionmaker is not None
    async with app.sessionmaker() as session:
        rows = await session.scalars(
            select(TicketEvent.body)
            .where(
                TicketEvent.ticket_id == ticket_id,
                TicketEvent.kind == TicketEventKind.COMMENT,
            )
            .order_by(TicketEvent.id)
        )
        return [str(body) for body in rows]


async def landed_on(
    app: Application, answer: ApiCall, number: str, ticket_id: int, words: str, *, not_on: int
) -> None:
    """The bot's ``answer`` says the resident's ``words`` were added to ``number``: they
    are that ticket's one comment, and the other ticket ``not_on`` has none."""
    assert answer.params["text"].startswith(f"💬 Added to {number}")
    assert await comments(app, ticket_id) == [words]
    assert await comments(app, not_on) == []


async def asked_by_the_office(
    resident: ResidentChat, app: Application, question: str
) -> tuple[int, ApiCall]:
    """The resident registered, with a water ticket on which the agent asks ``question``
    and waits for the answer; the ticket's id and the question as it reached them."""
    await resident.registered_in_unit()
    ticket_id = await file_directly(resident, "卫生间漏水", category_key="water")
    await staff_writes(app, ticket_id, question, asking=True)
    return ticket_id, await office_message(resident, question)


# two_open_tickets' buttons when asked which: named by number and category.
ADD_TO_LIFT, ADD_TO_WATER = "💬 Add to SG-000002 · Lift", "💬 Add to SG-000001 · Water leak"
WHICH_BUTTONS = [ADD_TO_LIFT, ADD_TO_WATER, "📝 A new request"]


async def two_open_tickets(alice: ResidentChat) -> tuple[int, int]:
    """Alice registered, with a water ticket (SG-000001) and a lift one (SG-000002)."""
    await alice.registered_in_unit()
    first = await file_directly(alice, "Kitchen tap leaking", category_key="water")
    second = await file_directly(alice, "Lift noisy", category_key="lift")
    return first, second


async def replies_to(resident: ResidentChat, message: ApiCall, words: str) -> ApiCall:
    """The resident answers with Telegram's reply to ``message``; the bot's next message."""
    mark = resident.telegram.mark()
    resident.telegram.send_text(resident.user, words, reply_to=message_of(message))
    return await resident.next_message(mark)


async def answers_with_the_reply_button(
    resident: ResidentChat, message: ApiCall, words: str, number: str = "SG-000001"
) -> None:
    """The resident presses 💬 Reply under ``message`` and writes ``words``; the prompt
    and the bot's answer both name the ticket."""
    prompt = await resident.press(message, "💬 Reply")
    assert number in prompt.params["text"]
    done = await resident.say(words)
    assert number in done.params["text"]


async def two_tickets_waiting(alice: ResidentChat, app: Application) -> tuple[int, int]:
    """Alice with two tickets, each waiting for her answer (the second asked last)."""
    first, second = await two_open_tickets(alice)
    await staff_writes(app, first, "When can we come?", asking=True)
    await staff_writes(app, second, "Which lift is it?", asking=True)
    await office_message(alice, "Which lift is it?")
    return first, second


async def test_plain_text_answers_the_one_ticket_waiting_for_the_resident(
    xiaoming: ResidentChat, app: Application
) -> None:
    ticket_id, asked = await asked_by_the_office(xiaoming, app, "请问您下午几点方便上门？")
    assert buttons(asked) == ["💬 回复"]
    assert "我的工单" not in asked.params["text"]  # no trip through the menus
    answer = await xiaoming.say("好的，下午两点家里有人。")
    assert answer.params["text"].startswith("💬 已添加到 SG-000001")
    assert "转给物业" not in answer.params["text"]  # not offered as a new request
    assert await comments(app, ticket_id) == ["好的，下午两点家里有人。"]


async def test_a_telegram_reply_to_the_offices_message_goes_to_that_ticket(
    alice: ResidentChat, app: Application
) -> None:
    first, second = await two_open_tickets(alice)
    await staff_writes(app, first, "We will come tomorrow at 10.", asking=False)
    reply_from_office = await office_message(alice, "We will come tomorrow at 10.")
    await staff_writes(app, second, "The lift company is booked.", asking=False)
    await office_message(alice, "The lift company is booked.")
    answer = await replies_to(alice, reply_from_office, "10 is fine, thanks")
    await landed_on(app, answer, "SG-000001", first, "10 is fine, thanks", not_on=second)


async def test_the_reply_button_asks_for_the_answer(alice: ResidentChat, app: Application) -> None:
    await alice.registered_in_unit()
    ticket_id = await file_directly(alice, "Kitchen tap leaking", category_key="water")
    await staff_writes(app, ticket_id, "Is the water shut off?", asking=False)
    relayed = await office_message(alice, "Is the water shut off?")
    await answers_with_the_reply_button(alice, relayed, "Yes, at the main valve")
    assert await comments(app, ticket_id) == ["Yes, at the main valve"]


async def test_with_two_tickets_waiting_the_resident_is_asked_which(
    alice: ResidentChat, app: Application
) -> None:
    first, second = await two_tickets_waiting(alice, app)
    which = await alice.say("The left one")
    assert "SG-000001" in which.params["text"] and "SG-000002" in which.params["text"]
    assert buttons(which) == WHICH_BUTTONS
    done = await alice.press(which, ADD_TO_LIFT)
    await landed_on(app, done, "SG-000002", second, "The left one", not_on=first)


async def test_a_new_problem_beside_an_open_ticket_can_go_either_way(
    alice: ResidentChat, app: Application
) -> None:
    await alice.registered_in_unit()
    await file_directly(alice, "Lift noisy", category_key="lift")
    offer = await alice.say("There is a water leak under my kitchen sink")
    assert "💬 Add to SG-000001 · Lift" in buttons(offer)
    assert "✅ Yes, that's right" in buttons(offer)


async def test_asked_which_the_resident_may_say_it_is_a_new_request(
    alice: ResidentChat, app: Application
) -> None:
    first, second = await two_tickets_waiting(alice, app)
    which = await alice.say("The corridor light on floor 2 is broken")
    offer = await alice.press(which, "📝 A new request")
    assert "pass this on to the property office" in offer.params["text"]
    assert await comments(app, first) == [] and await comments(app, second) == []
    # The question reads back with its answer under it, its buttons gone.
    asked = message_of(which)["message_id"]

    def answered() -> StoredMessage | None:
        shown = alice.telegram.message(alice.id, asked)
        return shown if shown and (shown.text or "").endswith("\n» 📝 A new request") else None

    assert (await eventually(answered)).buttons() == []


async def staff_takes(app: Application, ticket_id: int) -> None:
    """The agent takes the ticket: the resident hears of the new status."""
    assert app.sessionmaker is not None
    await residents.settled(app)
    async with app.sessionmaker() as session, session.begin():
        agent = await resolve_actor(session, 5001)
        await lifecycle.take(session, app.context(), ticket_id, agent, None)


async def test_a_reply_to_the_filing_confirmation_goes_to_that_ticket(
    xiaoming: ResidentChat, app: Application, telegram: FakeTelegramServer
) -> None:
    await xiaoming.registered_in_unit()
    filed = await residents.file_leak_in_chat(telegram, xiaoming.user, "厨房水管漏水")
    assert "SG-000001" in filed.params["text"]
    other = await file_directly(xiaoming, "电梯异响", category_key="lift")
    answer = await replies_to(xiaoming, filed, "补充：楼下邻居家也在滴水")
    assert answer.params["text"].startswith("💬 已添加到 SG-000001")
    assert "转给物业" not in answer.params["text"]  # not offered as a new request
    first = next(t.id for t in await xiaoming.tickets() if t.number == "SG-000001")
    assert await comments(app, first) == ["补充：楼下邻居家也在滴水"]
    assert await comments(app, other) == []


async def test_a_reply_to_a_status_change_goes_to_that_ticket(
    alice: ResidentChat, app: Application
) -> None:
    first, second = await two_open_tickets(alice)
    await staff_takes(app, first)
    status = await office_message(alice, "has taken SG-000001")
    assert "SG-000002" not in status.params["text"]
    answer = await replies_to(alice, status, "I am home all afternoon")
    await landed_on(app, answer, "SG-000001", first, "I am home all afternoon", not_on=second)


async def test_with_two_open_tickets_and_none_waiting_the_resident_is_asked_which(
    alice: ResidentChat, app: Application
) -> None:
    first, second = await two_open_tickets(alice)
    which = await alice.say("It got worse this morning")
    assert which.params["text"].startswith("You have open tickets SG-000002, SG-000001")
    assert buttons(which) == WHICH_BUTTONS
    done = await alice.press(which, ADD_TO_WATER)
    await landed_on(app, done, "SG-000001", first, "It got worse this morning", not_on=second)
    # A brand-new problem beside them is filed through the same question.
    which = await alice.say("The corridor light on floor 2 is broken")
    offer = await alice.press(which, "📝 A new request")
    assert "pass this on to the property office" in offer.params["text"]
    # A greeting or thanks alone is about none of them: not asked which.
    for chatter, back in (("hello", "Hello! "), ("thanks!", "You are welcome! "), ("ok 👍", "")):
        answer = await alice.say(chatter)
        assert answer.params["text"] == (
            f"{back}Choose what you need from the menu below, or describe your problem "
            "in a sentence."
        ), chatter
    assert await comments(app, first) == ["It got worse this morning"]


async def test_with_two_tickets_waiting_an_ok_is_asked_which_it_answers(
    alice: ResidentChat, app: Application
) -> None:
    await two_tickets_waiting(alice, app)
    which = await alice.say("ok")
    assert which.params["text"].startswith("The property office is waiting for your answer on")


async def test_a_photo_answers_the_one_ticket_waiting_for_the_resident(
    xiaoming: ResidentChat, app: Application
) -> None:
    ticket_id, _ = await asked_by_the_office(xiaoming, app, "请拍一张漏水处的照片")
    answer = await xiaoming.send_photo()
    assert answer.params["text"].startswith("💬 已添加到 SG-000001")
    assert await comments(app, ticket_id) == ["📷"]
    assert app.sessionmaker is not None
    async with app.sessionmaker() as session:
        photos = await session.scalars(select(Attachment).where(Attachment.ticket_id == ticket_id))
        assert len(photos.all()) == 1


async def _photos_of(app: Application, ticket_id: int) -> int:
    assert app.sessionmaker is not None
    async with app.sessionmaker() as session:
        photos = await session.scalars(select(Attachment).where(Attachment.ticket_id == ticket_id))
        return len(photos.all())


async def test_a_photo_beside_two_open_tickets_is_held_while_the_resident_says_which(
    alice: ResidentChat, app: Application
) -> None:
    first, second = await two_open_tickets(alice)
    which = await alice.send_photo()
    assert which.params["text"].startswith("You have open tickets SG-000002, SG-000001")
    assert buttons(which) == WHICH_BUTTONS
    done = await alice.press(which, ADD_TO_WATER)
    assert done.params["text"].startswith("💬 Added to SG-000001 with 1 photo")
    assert await comments(app, first) == ["📷"] and await comments(app, second) == []
    assert (await _photos_of(app, first), await _photos_of(app, second)) == (1, 0)


async def test_an_album_beside_two_open_tickets_is_asked_about_once_and_goes_whole(
    alice: ResidentChat, app: Application
) -> None:
    first, second = await two_open_tickets(alice)
    which = await alice.send_album(3)
    assert which.params["text"].startswith("You have open tickets")
    await residents.settled(app)  # the album's other photos handled: no second question
    asked = [
        m for m in alice.telegram.messages_in(alice.user.id) if "open tickets" in (m.text or "")
    ]
    assert len(asked) == 1
    done = await alice.press(which, ADD_TO_LIFT)
    assert done.params["text"].startswith("💬 Added to SG-000002 with 3 photos")
    assert (await _photos_of(app, first), await _photos_of(app, second)) == (0, 3)


async def test_a_photo_alone_as_a_new_request_asks_for_words(alice: ResidentChat) -> None:
    await two_open_tickets(alice)
    which = await alice.send_photo()
    hint = await alice.press(which, "📝 A new request")
    assert hint.params["text"].startswith("Photos go with a request")


async def test_the_resident_reads_that_the_office_waits_for_their_answer(
    xiaoming: ResidentChat, app: Application
) -> None:
    await asked_by_the_office(xiaoming, app, "请问您几点在家？")
    listed = await xiaoming.say("📋 我的工单")
    detail = await xiaoming.press(listed, buttons(listed)[0], expect="editMessageText")
    assert "等待您的回复" in detail.params["text"]
    assert "等待住户" not in detail.params["text"]  # the staff wording is not theirs


async def test_a_reply_to_the_tickets_detail_goes_to_that_ticket(
    alice: ResidentChat, app: Application
) -> None:
    first, second = await two_open_tickets(alice)
    listing = await alice.say("📋 My tickets")
    detail = await alice.press(listing, buttons(listing)[-1], expect="editMessageText")
    assert "SG-000001" in detail.params["text"] and "SG-000002" not in detail.params["text"]
    answer = await replies_to(alice, detail, "It drips at night too")
    await landed_on(app, answer, "SG-000001", first, "It drips at night too", not_on=second)


async def test_the_resolution_carries_reply_beside_fixed_and_not_fixed(
    alice: ResidentChat, app: Application
) -> None:
    await alice.registered_in_unit()
    ticket_id = await file_directly(alice, "Kitchen tap leaking", category_key="water")
    await staff_resolves(app, ticket_id)
    resolved = await office_message(alice, "has been resolved")
    assert buttons(resolved) == ["✅ Fixed", "❌ Not fixed", "💬 Reply"]
    await answers_with_the_reply_button(alice, resolved, "Thanks, what was wrong with it?")
    assert await comments(app, ticket_id) == ["Thanks, what was wrong with it?"]


async def test_a_danger_beside_two_open_tickets_gets_the_hotline_not_a_question(
    xiaoming: ResidentChat, app: Application
) -> None:
    await xiaoming.registered_in_unit()
    await file_directly(xiaoming, "卫生间漏水", category_key="water")
    await file_directly(xiaoming, "楼上噪音", category_key="noise")
    alert = await xiaoming.say("电梯困人了，3号梯卡在5楼")
    assert "021-5555-0100" in alert.params["text"]
    offer = await xiaoming.message_after(alert)
    assert "<b>电梯</b>" in offer.params["text"]
    assert "💬 补充到 SG-000002 · 噪音" in buttons(offer)  # its tickets are still offered
