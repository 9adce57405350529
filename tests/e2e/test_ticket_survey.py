"""After a ticket is resolved: the resident says whether it is fixed, rates it, and an
unhappy resident gets a call back; silence closes the ticket after one reminder."""

from __future__ import annotations

from bot.app.application import Application
from bot.clock import ManualClock
from bot.presentation.texts import local_time
from fake_telegram import FakeTelegramServer, FakeUser
from fake_telegram.models import ApiCall
from storage.models import AuditEntry, Ticket, TicketKind, TicketStatus
from tests.conftest import eventually
from tests.e2e import staff_helpers as desk
from tests.e2e import survey_support as surveys
from tests.e2e.conftest import say
from tests.e2e.residents import ticket

IS_IT_FIXED = "Is the problem fixed?"
HOW_SATISFIED = "How satisfied are you"


async def asked_if_fixed(
    app: Application, telegram: FakeTelegramServer, resident: FakeUser
) -> tuple[int, ApiCall]:
    """An English resident's ticket is resolved: the ticket id and the "is it fixed?"
    question."""
    await surveys.add_resident(app, resident.id, "Alice Smith", language="en")
    ticket_id = await surveys.resolved_ticket(app, resident.id)
    return ticket_id, await surveys.bot_says(telegram, resident.id, IS_IT_FIXED)


async def asked_to_rate(
    app: Application, telegram: FakeTelegramServer, resident: FakeUser
) -> tuple[int, ApiCall, ApiCall]:
    """The resident says it is fixed: the ticket id, the question and the rating prompt."""
    ticket_id, question = await asked_if_fixed(app, telegram, resident)
    fixed = surveys.button_data(question)[0]
    rating = await surveys.press_then(telegram, resident, question, fixed, HOW_SATISFIED)
    return ticket_id, question, rating


async def test_fixed_then_rating_reason_and_comment_close_the_ticket(
    app: Application, telegram: FakeTelegramServer, resident_en: FakeUser
) -> None:
    ticket_id, question = await asked_if_fixed(app, telegram, resident_en)
    fixed, not_fixed, reply = surveys.button_data(question)
    assert fixed.startswith(f"rt:fixed:{ticket_id}:") and not_fixed.startswith("rt:notfixed:")
    assert reply.startswith(f"rt:comment:{ticket_id}:")  # words that are neither

    rating = await surveys.press_then(telegram, resident_en, question, fixed, HOW_SATISFIED)
    assert "SG-000001" in rating.params["text"]
    assert [b.split(":")[-1] for b in surveys.button_data(rating)] == ["1", "2", "3", "4", "5"]
    # The question's buttons are gone, the answer shown under it, and the ticket waits
    # for the rest of the answer.
    asked = telegram.message(resident_en.id, question.response["result"]["message_id"])
    assert asked is not None and not asked.inline_keyboard
    assert asked.text is not None and asked.text.startswith("Ticket SG-000001 has been resolved")
    assert asked.text.endswith("Is the problem fixed?\n\nYour answer: ✅ Fixed")
    assert (await ticket(app, ticket_id)).status is TicketStatus.RESOLVED

    reasons = await surveys.press_then(
        telegram, resident_en, rating, surveys.button_data(rating)[4], "What went well?"
    )
    chips = [b["text"] for row in reasons.params["reply_markup"]["inline_keyboard"] for b in row]
    assert chips == ["Fast", "Polite staff", "Good quality work", "Skip"]
    rated = telegram.message(resident_en.id, rating.response["result"]["message_id"])
    assert rated is not None and not rated.inline_keyboard  # which ticket, and the stars
    assert (rated.text or "").startswith("How satisfied are you with how SG-000001")
    assert (rated.text or "").endswith("\n\nYour answer: ⭐⭐⭐⭐⭐")

    fast = next(d for d in surveys.button_data(reasons) if d.endswith(":fast"))
    mark = telegram.mark()
    await surveys.press(telegram, resident_en, reasons, fast)
    edited = await telegram.wait_for("editMessageReplyMarkup", chat_id=resident_en.id, since=mark)
    labels = [b["text"] for row in edited.params["reply_markup"]["inline_keyboard"] for b in row]
    assert labels == ["✅ Fast", "Polite staff", "Good quality work", "Done"]

    done = next(d for d in surveys.button_data(edited) if ":whydone:" in d)
    comment = await surveys.press_then(
        telegram, resident_en, reasons, done, "Would you like to add a comment?"
    )
    assert surveys.button_data(comment)  # Skip
    # The reasons question keeps what was ticked under it.
    ticked = telegram.message(resident_en.id, reasons.response["result"]["message_id"])
    assert ticked is not None and not ticked.inline_keyboard
    assert (ticked.text or "").endswith("then press Done.\n\nYour answer: Fast")

    thanks = await say(telegram, resident_en, "Quick and tidy, thank you!")
    assert thanks.params["text"] == (
        "Thank you for your feedback!\nTicket SG-000001 is now closed."
    )
    # The comment is given: its question loses its Skip.
    comment_id = comment.response["result"]["message_id"]

    def skip_gone() -> bool:
        asked = telegram.message(resident_en.id, comment_id)
        return asked is not None and not asked.inline_keyboard

    await eventually(skip_gone)
    closed = await ticket(app, ticket_id)
    assert closed.status is TicketStatus.CLOSED and closed.closed_at is not None
    assert await surveys.answers(app, ticket_id=ticket_id) == [
        ("rating", 5, None),
        ("reason", None, "fast"),
        ("comment", None, "Quick and tidy, thank you!"),
    ]
    asked = await surveys.invitation(app, ticket_id=ticket_id)
    assert (asked.kind, asked.stage) == ("ticket", "done")
    assert asked.sent_at <= asked.answered_at <= asked.completed_at
    assert (
        await surveys.rows(app, Ticket, Ticket.parent_ticket_id == ticket_id) == []
    )  # no follow-up


async def test_not_fixed_reopens_with_the_reason_and_a_fresh_resolution_deadline(
    app: Application, telegram: FakeTelegramServer, resident_zh: FakeUser, clock: ManualClock
) -> None:
    await surveys.add_resident(app, resident_zh.id, "张小明")
    ticket_id = await surveys.resolved_ticket(app, resident_zh.id)
    question = await surveys.bot_says(telegram, resident_zh.id, "问题解决了吗")
    before = await ticket(app, ticket_id)
    clock.advance(hours=5)

    await surveys.press_then(
        telegram, resident_zh, question, surveys.button_data(question)[1], "还有什么问题"
    )
    asked = telegram.message(resident_zh.id, question.response["result"]["message_id"])
    assert asked is not None and (asked.text or "").endswith("您的回答：❌ 未解决")
    mark = telegram.mark()
    reply = await say(telegram, resident_zh, "水龙头还在滴水")

    reopened = await ticket(app, ticket_id)
    assert reopened.status is TicketStatus.IN_PROGRESS and reopened.reopen_count == 1
    assert reopened.resolved_at is None and reopened.resolution_escalation_level == 0
    resolution = app.organisation.sla.targets_for("repair", "water").resolution
    assert reopened.resolution_due_at == clock.now() + resolution
    # The resident is told when it should be fixed now.
    resolve_by = local_time(reopened.resolution_due_at, app.organisation.zone("sunshine"))
    assert reply.params["text"] == (
        f"工单 {reopened.number} 已重新打开，我们已将问题转告工作人员，"
        f"力争在 {resolve_by} 前处理完毕。"
    )
    assert reopened.resolution_due_at > before.resolution_due_at
    # The project group and the assignee (the agent) hear the reason.
    await surveys.bot_says(telegram, surveys.SUNSHINE_GROUP, "水龙头还在滴水", since=mark)
    await surveys.bot_says(telegram, 5001, "水龙头还在滴水", since=mark)
    assert (await surveys.invitation(app, ticket_id=ticket_id)).stage == "reopened"
    assert await surveys.answers(app, ticket_id=ticket_id) == []  # not fixed: nothing to rate yet


async def test_silence_gets_one_reminder_then_the_ticket_closes_itself(
    app: Application, telegram: FakeTelegramServer, resident_en: FakeUser, clock: ManualClock
) -> None:
    ticket_id, question = await asked_if_fixed(app, telegram, resident_en)

    clock.advance(days=1)
    assert (await surveys.sweep(app)).reminded == 0  # too early
    clock.advance(days=1)
    assert (await surveys.sweep(app)).reminded == 1
    reminder = await surveys.bot_says(telegram, resident_en.id, "Reminder: ticket SG-000001")
    assert "will be closed on 2026-11-05 09:00" in reminder.params["text"]
    assert [d.split(":")[1] for d in surveys.button_data(reminder)] == ["fixed", "notfixed"]
    clock.advance(hours=12)
    assert (await surveys.sweep(app)).reminded == 0  # never a second reminder
    assert (await ticket(app, ticket_id)).status is TicketStatus.RESOLVED

    clock.advance(hours=12)  # three days of silence
    mark = telegram.mark()
    report = await surveys.sweep(app)
    assert (report.auto_closed, report.reminded) == (1, 0)
    closed = await ticket(app, ticket_id)
    assert closed.status is TicketStatus.CLOSED and closed.closed_at == clock.now()
    await surveys.bot_says(
        telegram, resident_en.id, "is closed. If the problem comes back", since=mark
    )
    assert (await surveys.invitation(app, ticket_id=ticket_id)).stage == "expired"
    assert (await surveys.sweep(app)).auto_closed == 0

    # The old question's button no longer counts: an alert, and nothing changes.
    answer = await surveys.press_stale(
        telegram, resident_en, question, surveys.button_data(question)[0]
    )
    assert answer.params["show_alert"] is True
    assert answer.params["text"].startswith("This ticket has changed")
    reminders = [
        m for m in telegram.messages_in(resident_en.id) if "Reminder" in (m.data.get("text") or "")
    ]
    assert len(reminders) == 1
    assert await surveys.answers(app, ticket_id=ticket_id) == []


async def test_a_low_score_opens_a_follow_up_ticket_for_the_project_managers(
    app: Application, telegram: FakeTelegramServer, resident_en: FakeUser
) -> None:
    ticket_id, _, rating = await asked_to_rate(app, telegram, resident_en)
    one_star = surveys.button_data(rating)[0]
    reasons = await surveys.press_then(telegram, resident_en, rating, one_star, "What went wrong?")
    slow, rude = (d for d in surveys.button_data(reasons) if d.endswith((":slow", ":rude")))
    await surveys.press(telegram, resident_en, reasons, slow)
    await surveys.press(telegram, resident_en, reasons, rude)
    await surveys.press_then(
        telegram, resident_en, reasons, surveys.button_data(reasons)[-1], "add a comment"
    )
    mark = telegram.mark()
    thanks = await say(telegram, resident_en, "Nobody came for four days & the plumber shouted")
    assert "The project manager will call you back." in thanks.params["text"]

    alert = await surveys.bot_says(telegram, surveys.SUNSHINE_GROUP, "住户不满意", since=mark)
    text = alert.params["text"]
    assert "A.S. 对 SG-000001 的评分为 1/5" in text and "Alice" not in text  # initials only
    assert "太慢" in text and "态度不好" in text  # the group reads the organisation's language
    assert "Nobody came for four days &amp; the plumber shouted" in text
    (followup,) = await surveys.rows(app, Ticket, Ticket.parent_ticket_id == ticket_id)
    assert f"已创建回访工单 {followup.number}" in text
    assert followup.kind is TicketKind.COMPLAINT and followup.status is TicketStatus.NEW
    assert followup.first_response_due_at is not None and followup.resolution_due_at is not None
    assert (await ticket(app, ticket_id)).status is TicketStatus.CLOSED
    (call_back,) = surveys.button_data(alert)

    # An agent may not take the call-back; the project manager may, and sees the phone.
    agent = telegram.user(id=5001, first_name="王芳")
    refused = await surveys.press_stale(telegram, agent, alert, call_back)
    assert refused.params["text"] == "只有本项目的经理可以负责回访。"
    manager = telegram.user(id=surveys.MANAGER, first_name="李强", language_code="en")
    mark = telegram.mark()
    update = await surveys.press(telegram, manager, alert, call_back)
    answer = telegram.answer_for(update)
    assert answer is not None and answer.show_alert
    # Answered in the group's language, whoever pressed (the phone only to the presser).
    assert f"{followup.number} 由您负责" in answer.text and "+8613800138000" in answer.text
    edit = await telegram.wait_for("editMessageText", chat_id=surveys.SUNSHINE_GROUP, since=mark)
    assert "李强" in edit.params["text"] and not edit.params.get("reply_markup")
    taken = await ticket(app, followup.id)
    assert taken.status is TicketStatus.ACKNOWLEDGED and taken.assignee_id is not None
    audited = await surveys.rows(app, AuditEntry, AuditEntry.action == "personal_data.view")
    assert [a.ticket_id for a in audited] == [followup.id]

    # The resident reads the follow-up in her language, not the staff's brief about it.
    mark = telegram.mark()
    telegram.send_text(resident_en, "📋 My tickets")
    # The list itself (the status news of the call-back being taken may arrive meanwhile).
    listing = await surveys.bot_says(telegram, resident_en.id, "Your tickets", since=mark)
    rows = [b["text"] for row in listing.params["reply_markup"]["inline_keyboard"] for b in row]
    assert rows[0] == f"👀 {followup.number} · 📞 Call back about SG-000001"
    mark = telegram.mark()
    await surveys.press(telegram, resident_en, listing, surveys.button_data(listing)[0])
    opened = await telegram.wait_for("editMessageText", chat_id=resident_en.id, since=mark)
    assert (
        "You rated SG-000001 low: the property office follows it up and will call you back."
        in opened.params["text"]
    )
    assert "回访" not in opened.params["text"] and "Nobody came" not in opened.params["text"]

    # The ticket's details tell staff how it was rated, and why.
    shown = await say(telegram, manager, "/ticket SG-000001")
    mark = telegram.mark()
    desk.press(
        telegram, manager, telegram.message(manager.id, shown.result["message_id"]), "details"
    )
    details = await desk.bot_says(telegram, manager.id, "History (notes included", since=mark)
    assert (
        "The resident's rating: ★☆☆☆☆ · Too slow, Staff were rude · "
        "“Nobody came for four days & the plumber shouted”"
    ) in (details.text or "")


async def test_text_instead_of_a_rating_asks_again_and_stale_buttons_change_nothing(
    app: Application, telegram: FakeTelegramServer, resident_en: FakeUser
) -> None:
    ticket_id, question, rating = await asked_to_rate(app, telegram, resident_en)

    again = await say(telegram, resident_en, "five stars!")
    assert again.params["text"].startswith("Please answer with the buttons.")
    assert len(surveys.button_data(again)) == 5
    assert await surveys.answers(app, ticket_id=ticket_id) == []

    # Pressing "Fixed" a second time (the question is answered) is refused.
    second = await surveys.press_stale(
        telegram, resident_en, question, surveys.button_data(question)[0]
    )
    assert second.params["show_alert"] and "already been answered" in second.params["text"]

    four_stars = surveys.button_data(again)[3]
    reasons = await surveys.press_then(telegram, resident_en, again, four_stars, "What went well?")
    # The first rating keyboard is stale now: an alert, still one rating.
    stale = await surveys.press_stale(telegram, resident_en, rating, surveys.button_data(rating)[0])
    assert stale.params["show_alert"] and "already been answered" in stale.params["text"]
    assert await surveys.answers(app, ticket_id=ticket_id) == [("rating", 4, None)]

    # Someone else's buttons are refused too.
    stranger = telegram.user(id=7999, first_name="Eve", language_code="en")
    await surveys.add_resident(app, stranger.id, "Eve Stranger", language="en", unit="102")
    foreign = await surveys.press_stale(telegram, stranger, rating, surveys.button_data(again)[0])
    assert "someone else" in foreign.params["text"]

    # At the comment step, a tap on the residents' menu is not taken as the comment.
    await surveys.press_then(
        telegram, resident_en, reasons, surveys.button_data(reasons)[-1], "add a comment"
    )
    await say(telegram, resident_en, "📋 My tickets")
    assert await surveys.answers(app, ticket_id=ticket_id) == [("rating", 4, None)]
    assert (await surveys.invitation(app, ticket_id=ticket_id)).stage == "comment"


async def test_an_answer_left_half_way_is_taken_as_given(
    app: Application, telegram: FakeTelegramServer, resident_en: FakeUser, clock: ManualClock
) -> None:
    ticket_id, _, rating = await asked_to_rate(app, telegram, resident_en)
    await surveys.press(
        telegram, resident_en, rating, surveys.button_data(rating)[1]
    )  # 2 stars, then silence

    clock.advance(minutes=59)
    assert (await surveys.sweep(app)).finished_abandoned == 0
    clock.advance(days=3)  # well past the auto-close time: the answer wins over silence
    report = await surveys.sweep(app)
    assert (report.finished_abandoned, report.auto_closed, report.reminded) == (1, 0, 0)
    closed = await ticket(app, ticket_id)
    assert closed.status is TicketStatus.CLOSED
    (followup,) = await surveys.rows(app, Ticket, Ticket.parent_ticket_id == ticket_id)
    assert followup.kind is TicketKind.COMPLAINT
    assert (await surveys.invitation(app, ticket_id=ticket_id)).stage == "done"

    # Writing later does not revive the finished survey.
    reply = await say(telegram, resident_en, "hello?")
    assert "Thank you for your feedback" not in reply.params["text"]
    assert await surveys.answers(app, ticket_id=ticket_id) == [("rating", 2, None)]


async def test_not_fixed_without_a_reason_reopens_after_a_while(
    app: Application, telegram: FakeTelegramServer, resident_en: FakeUser, clock: ManualClock
) -> None:
    ticket_id, question = await asked_if_fixed(app, telegram, resident_en)
    not_fixed = surveys.button_data(question)[1]
    await surveys.press_then(telegram, resident_en, question, not_fixed, "What is still wrong")
    clock.advance(hours=2)
    mark = telegram.mark()
    assert (await surveys.sweep(app)).finished_abandoned == 1
    assert (await ticket(app, ticket_id)).status is TicketStatus.IN_PROGRESS
    await surveys.bot_says(telegram, surveys.SUNSHINE_GROUP, "住户未说明原因", since=mark)
    assert (await surveys.invitation(app, ticket_id=ticket_id)).stage == "reopened"
