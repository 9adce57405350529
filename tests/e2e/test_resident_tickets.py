"""Free text understood, duplicates joined, and following one's tickets to the end."""

from __future__ import annotations

from sqlalchemy import select

from bot.app.application import Application
from bot.app.context import Context
from bot.services.people import resolve_actor
from bot.services.tickets import lifecycle
from bot.services.tickets.lifecycle import TicketDraft
from storage.models import (
    OrgUnit,
    Person,
    TicketEvent,
    TicketFollower,
    TicketKind,
    TicketStatus,
)
from tests.e2e import residents
from tests.e2e import staff_helpers as desk
from tests.e2e.chat import ResidentChat
from tests.e2e.residents import buttons


async def file_directly(resident: ResidentChat, description: str, **fields) -> int:
    """A ticket of ``resident``'s, filed behind the bot's back (to set up a scene quickly)."""
    app = resident.app
    assert app.sessionmaker is not None and app.organisation is not None
    await residents.settled(app)
    async with app.sessionmaker() as session, session.begin():
        person = await session.scalar(select(Person).where(Person.telegram_id == resident.id))
        project = await session.scalar(select(OrgUnit.id).where(OrgUnit.key == "sunshine"))
        draft = TicketDraft(
            project_id=project,
            kind=fields.pop("kind", TicketKind.REPAIR),
            description=description,
            **fields,
        )
        ctx = Context(app.organisation, app.clock.now())
        return (await lifecycle.create_ticket(session, ctx, person, draft)).id


async def by_the_agent(app: Application, change) -> None:
    """``change(session, ctx, agent)`` done by the agent once the bot has settled; the
    residents' news is out before the test goes on."""
    await residents.settled(app)
    await desk.as_actor(app, desk.AGENT, change)
    await residents.delivered(app)


async def staff_resolves(app: Application, ticket_id: int, what: str = "Replaced the seal") -> None:
    async def take_answer_and_resolve(session, ctx, agent) -> None:
        await lifecycle.take(session, ctx, ticket_id, agent, None)
        await lifecycle.reply_to_resident(session, ctx, ticket_id, agent, "Coming at 3pm <ok>")
        await lifecycle.resolve(session, ctx, ticket_id, agent, what)

    await by_the_agent(app, take_answer_and_resolve)


async def staff_cancels(app: Application, ticket_id: int, reason: str = "A duplicate") -> None:
    await by_the_agent(
        app,
        lambda session, ctx, agent: lifecycle.cancel_by_staff(
            session, ctx, ticket_id, agent, reason
        ),
    )


async def test_free_text_with_a_typo_is_offered_as_a_repair(alice: ResidentChat) -> None:
    await alice.registered_in_unit()
    proposal = await alice.say("The elevater in my building is brokn again")
    assert (
        "a repair about <b>Lift</b> in the common area (<b>阳光花园 · 1号楼</b>)"
        in (proposal.params["text"])
    )
    offer = await alice.press(proposal, "✏️ Something else", expect="editMessageReplyMarkup")
    assert buttons(offer) == [
        "🔧 Repair",
        "📣 Complaint",
        "💡 Suggestion",
        "❓ Question",
        "No, thanks",
    ]
    intro = await alice.press(offer, "🔧 Repair")
    place = await alice.message_after(intro)
    assert place.params["text"].startswith("Where is it?")  # category and description known
    location = await alice.press(place, "🌳 阳光花园: common area or general")
    photos = await alice.say("Building 1, the left lift")
    urgent = await alice.press(photos, "No photos")
    summary = await alice.press(urgent, "No")
    assert "Category: Lift" in summary.params["text"]
    assert "The elevater in my building is brokn again" in summary.params["text"]
    filed = await alice.press(summary, "✅ Submit")
    assert "SG-000001" in filed.params["text"]
    assert location.params["text"].startswith("Where exactly?")


async def test_free_text_in_chinese_and_a_greeting(xiaoming: ResidentChat) -> None:
    await xiaoming.registered_in_unit()
    hint = await xiaoming.say("你好")
    assert hint.params["text"] == "您好！请在下方菜单中选择所需服务，或用一句话描述您的问题。"
    thanked = await xiaoming.say("谢谢")
    assert thanked.params["text"].startswith("不客气！请在下方菜单中选择所需服务")
    offer = await xiaoming.say("天花板漏水了，滴到床上")
    assert (
        "<b>漏水</b>方面的报修" in offer.params["text"]
        and "<b>1号楼 101</b>" in offer.params["text"]
    )
    assert buttons(offer) == ["✅ 对，就这样", "✏️ 不是这个", "不用了，谢谢"]
    kinds = await xiaoming.press(offer, "✏️ 不是这个", expect="editMessageReplyMarkup")
    assert buttons(kinds) == ["🔧 报修", "📣 投诉", "不用了，谢谢"]  # water: repair/complaint
    no = await xiaoming.press(offer, "不用了，谢谢")
    assert no.params["text"] == "好的。"
    assert await xiaoming.tickets() == []


async def test_duplicate_is_offered_and_joining_makes_a_follower(
    alice: ResidentChat, bob: ResidentChat
) -> None:
    await bob.registered_in_unit()
    first = await file_directly(
        bob,
        "Lift 2 is stuck between floors, call me 13912345678",
        category_key="lift",
        location_text="Building 1",
    )
    await alice.registered_in_unit()
    question = await alice.say("🔧 Report a repair")
    question = await alice.message_after(question)
    place = await alice.press(question, "Lift")
    where = await alice.press(place, "🌳 阳光花园: common area or general")
    described = await alice.say("Building 1")
    photos = await alice.say("lift 2 stuck again")
    urgent = await alice.press(photos, "No photos")
    summary = await alice.press(urgent, "No")
    duplicates = await alice.press(summary, "✅ Submit")
    # Each question answered with a button shows the answer under it, its buttons gone.
    await residents.settled(alice.app)
    for asked, answer in ((question, "Lift"), (place, "🌳 阳光花园: common area or general")):
        stored = alice.telegram.message(alice.id, residents.message_of(asked)["message_id"])
        assert stored is not None and stored.data["text"].endswith(f"\n» {answer}")
        assert "reply_markup" not in stored.data
    text = duplicates.params["text"]
    assert text.startswith("Neighbours have already reported something similar:")
    assert "<b>SG-000001</b>" in text and "13912345678" not in text  # a neighbour's phone hidden
    assert buttons(duplicates) == ["Join SG-000001", "📝 File a new one"]

    mark = alice.mark()
    joined = await alice.press(duplicates, "Join SG-000001")
    assert joined.params["text"].startswith("You joined <b>SG-000001</b> (2 residents affected)")
    card = await alice.telegram.wait_for(
        "editMessageText", chat_id=residents.SUNSHINE_GROUP, since=mark
    )
    assert "SG-000001" in card.params["text"]
    assert len(await alice.tickets()) == 1
    assert (await alice.ticket(first)).affected_count == 2
    # So do the summary's Submit and the choice among the neighbours' tickets.
    await residents.settled(alice.app)
    for asked, answer in ((summary, "✅ Submit"), (duplicates, "Join SG-000001")):
        stored = alice.telegram.message(alice.id, residents.message_of(asked)["message_id"])
        assert stored is not None and stored.data["text"].endswith(f"\n» {answer}")
        assert "reply_markup" not in stored.data

    # A follower gets every status update and sees the ticket, but not the neighbour's words.
    mark = alice.mark()
    await staff_resolves(alice.app, first)
    update = await alice.telegram.wait_for(
        "sendMessage", lambda c: "SG-000001" in c.params["text"], chat_id=alice.id, since=mark
    )
    assert update is not None
    listing = await alice.say("📋 My tickets")
    assert buttons(listing)[0] == "✅ SG-000001 · Lift"  # the category, not the neighbour's words
    detail = await alice.press(listing, buttons(listing)[0], expect="editMessageText")
    assert "13912345678" not in detail.params["text"]
    assert "a neighbour with the same problem joined" in detail.params["text"]
    assert "✖️ Cancel this ticket" not in buttons(detail)  # only the filer cancels
    assert where.params["text"].startswith("Where exactly?")
    assert described.params["text"].startswith("Please describe it")
    assert alice.app.sessionmaker is not None
    await residents.settled(alice.app)
    async with alice.app.sessionmaker() as session:
        assert len((await session.scalars(select(TicketFollower))).all()) == 1


async def test_filing_a_new_one_despite_a_duplicate(
    xiaoming: ResidentChat, bob: ResidentChat
) -> None:
    await bob.registered_in_unit()
    await file_directly(bob, "2号楼电梯困人了", category_key="lift")
    await xiaoming.registered_in_unit()
    hotline = await xiaoming.say("2号楼电梯坏了，有人被困在里面")
    assert "021-5555-0100" in hotline.params["text"]  # someone is trapped: the hotline first
    offer = await xiaoming.message_after(hotline)
    await xiaoming.press(offer, "✏️ 不是这个", expect="editMessageReplyMarkup")
    intro = await xiaoming.press(offer, "🔧 报修")
    place = await xiaoming.message_after(intro)
    await xiaoming.press(place, "🌳 阳光花园：公共区域或整体")
    photos = await xiaoming.say("2号楼")
    urgent = await xiaoming.press(photos, "不发照片")
    summary = await xiaoming.press(urgent, "⚡ 是，紧急")
    duplicates = await xiaoming.press(summary, "✅ 提交")
    assert "邻居已经反映过类似问题" in duplicates.params["text"]
    # Words instead of a button: the neighbours' reports are asked about again.
    hint = await xiaoming.say("是同一部电梯吗？")
    assert hint.params["text"] == "请点击其中一个按钮。"
    again = await xiaoming.message_after(hint)
    assert again.params["text"] == duplicates.params["text"]
    assert buttons(again) == buttons(duplicates)
    filed = await xiaoming.press(again, "📝 新建一单")
    assert "SG-000002" in filed.params["text"]


async def test_my_tickets_are_paged_open_first_with_detail_and_history(alice: ResidentChat) -> None:
    await alice.registered_in_unit()
    ids = [await file_directly(alice, f"Problem number {n}") for n in range(7)]
    assert alice.app.sessionmaker is not None and alice.app.organisation is not None
    async with alice.app.sessionmaker() as session, session.begin():  # the oldest one is closed
        actor = await resolve_actor(session, alice.id)
        ctx = Context(alice.app.organisation, alice.app.clock.now())
        await lifecycle.cancel_by_resident(session, ctx, ids[0], actor, "fixed it myself")

    listing = await alice.say("/tickets")
    assert "(7), page 1 of 2" in listing.params["text"]
    rows = buttons(listing)
    assert rows[0].startswith("🆕 SG-000007") and rows[-1] == "▶"
    page2 = await alice.press(listing, "▶", expect="editMessageText")
    rows2 = buttons(page2)
    assert rows2[-2].startswith("🚫 SG-000001") and rows2[-1] == "◀"  # closed ones last

    await staff_resolves(alice.app, ids[3])
    listing = await alice.say("📋 My tickets")
    detail = await alice.press(
        listing,
        next(b for b in buttons(listing) if "SG-000004" in b),
        expect="editMessageText",
    )
    text = detail.params["text"]
    assert "<b>SG-000004</b>" in text and "Status: resolved" in text
    assert "property office: Coming at 3pm &lt;ok&gt;" in text
    assert "resolved: Replaced the seal" in text  # what was done, as the resident was told
    assert buttons(detail)[:2] == ["✅ It is fixed", "↩️ Not fixed"]

    # An open ticket shows what is promised, until the office answers: then what is left.
    async def opened(number: str) -> str:
        listing = await alice.say("📋 My tickets")
        label = next(b for b in buttons(listing) if number in b)
        return (await alice.press(listing, label, expect="editMessageText")).params["text"]

    promised = "Respond by: 2026-11-03 09:00 · Resolve by: 2026-11-04 09:00"
    assert promised in await opened("SG-000005")
    await by_the_agent(
        alice.app, lambda session, ctx, agent: lifecycle.take(session, ctx, ids[4], agent, None)
    )
    text = await opened("SG-000005")
    assert "Respond by" not in text and "\nResolve by: 2026-11-04 09:00\n" in text


async def test_comment_with_photos_cancel_confirm_and_reopen(alice: ResidentChat) -> None:
    await alice.registered_in_unit()
    first = await file_directly(alice, "Door lock broken")
    second = await file_directly(alice, "Window cracked")

    async def open_detail(number: str):
        listing = await alice.say("📋 My tickets")
        label = next(b for b in buttons(listing) if number in b)
        return await alice.press(listing, label, expect="editMessageText")

    # Comment with an album of two photos, then words.
    detail = await open_detail("SG-000001")
    prompt = await alice.press(detail, "💬 Add a comment or photo")
    mark = alice.mark()
    ack = await alice.send_album(2)
    await alice.telegram.wait_for("editMessageText", chat_id=alice.id, since=mark)
    mark = alice.mark()
    done = await alice.say("It is the <front> door")
    assert (
        done.params["text"] == "Your comment was added to SG-000001; the property office sees it."
    )
    await residents.bot_says(alice.telegram, residents.SUNSHINE_GROUP, "&lt;front&gt;", since=mark)
    await alice.telegram.wait_for(
        "sendPhoto", chat_id=residents.SUNSHINE_GROUP, since=mark, count=2
    )
    assert prompt.params["text"].startswith("Write your comment for SG-000001")
    assert ack.params["text"].startswith("Photos attached: 1")
    # The conversation is over: its question keeps no “« Back” to press.
    await residents.settled(alice.app)
    stored = alice.telegram.message(alice.id, residents.message_of(prompt)["message_id"])
    assert stored is not None and "reply_markup" not in stored.data

    # Cancel with a reason.
    detail = await open_detail("SG-000002")
    await alice.press(detail, "✖️ Cancel this ticket")
    mark = alice.mark()
    cancelled = await alice.say("Found a glazier myself")
    assert cancelled.params["text"] == "Ticket SG-000002 is cancelled."
    # The project's staff hear why, beside the card that now says cancelled.
    told = await residents.bot_says(
        alice.telegram, residents.SUNSHINE_GROUP, "已被住户取消", since=mark
    )
    assert told.params["text"] == "🚫 SG-000002 已被住户取消：Found a glazier myself"
    assert (await alice.ticket(second)).status is TicketStatus.CANCELLED
    assert (await alice.ticket(second)).cancel_reason == "Found a glazier myself"

    # Resolved: not fixed re-opens it, with a reason; then it is fixed.
    await staff_resolves(alice.app, first)
    detail = await open_detail("SG-000001")
    asked = await alice.press(detail, "↩️ Not fixed")
    assert asked.params["text"].startswith("What is still wrong with SG-000001?")
    mark = alice.mark()
    reopened = await alice.say("Still does not lock")
    assert reopened.params["text"].startswith("Ticket SG-000001 is open again")
    await residents.bot_says(
        alice.telegram, residents.SUNSHINE_GROUP, "Still does not lock", since=mark
    )
    reloaded = await alice.ticket(first)
    assert reloaded.status is TicketStatus.IN_PROGRESS and reloaded.reopen_count == 1

    # The old detail message's "It is fixed" is stale now: refused, nothing changes.
    stale = await alice.alert_on_press(detail, "✅ It is fixed")
    assert stale.params["show_alert"] is True
    assert (await alice.ticket(first)).status is TicketStatus.IN_PROGRESS

    assert alice.app.sessionmaker is not None and alice.app.organisation is not None
    async with alice.app.sessionmaker() as session, session.begin():
        agent = await resolve_actor(session, 5001)
        ctx = Context(alice.app.organisation, alice.app.clock.now())
        await lifecycle.resolve(session, ctx, first, agent, "New lock fitted")
    await residents.delivered(alice.app)
    detail = await open_detail("SG-000001")
    mark = alice.mark()
    confirmed = await alice.press(detail, "✅ It is fixed", expect="editMessageText")
    assert "Status: closed" in confirmed.params["text"]
    thanks = await alice.telegram.wait_for("answerCallbackQuery", since=mark)
    assert thanks.params["text"] == "Thank you! The ticket is closed."
    assert (await alice.ticket(first)).status is TicketStatus.CLOSED
    await residents.settled(alice.app)
    async with alice.app.sessionmaker() as session:
        kinds = [
            e.kind
            for e in (
                await session.scalars(select(TicketEvent).where(TicketEvent.ticket_id == first))
            ).all()
        ]
    assert "comment" in kinds and "reopened" in kinds


async def test_another_residents_ticket_is_never_shown(
    alice: ResidentChat, bob: ResidentChat
) -> None:
    await bob.registered_in_unit()
    theirs = await file_directly(bob, "Private matter in my flat")
    await alice.registered_in_unit()
    listing = await alice.say("📋 My tickets")
    assert listing.params["text"].startswith("You have no tickets yet")
    for action in ("view", "comment", "cancel", "confirm", "reopen"):
        answer = await alice.alert_on_raw_press(
            f"rt:{action}:{theirs}:1", listing.result["message_id"]
        )
        assert answer.params["text"] == "This is not one of your tickets.", action
        assert answer.params["show_alert"] is True
    assert (await alice.ticket(theirs)).status is TicketStatus.NEW


async def test_a_ticket_number_alone_shows_that_ticket_if_it_is_ones_own(
    alice: ResidentChat, bob: ResidentChat
) -> None:
    await bob.registered_in_unit()
    await file_directly(bob, "Private matter in my flat")  # SG-000001
    await alice.registered_in_unit()
    await file_directly(alice, "Kitchen tap drips")  # SG-000002
    shown = await alice.say("sg-2")  # as people type it
    assert shown.params["text"].startswith("🆕 <b>SG-000002</b>")
    assert "Kitchen tap drips" in shown.params["text"]
    assert "« All my tickets" in buttons(shown)
    # Someone else's is not shown, nor said to be someone else's.
    other = await alice.say("SG-000001")
    assert other.params["text"] == (
        "I cannot find SG-000001 among your tickets; “My tickets” lists them all."
    )
    assert "Private matter" not in other.params["text"]
    # Words that only look like one are words, read as any text is.
    words = await alice.say("Room 302")
    assert words.params["text"].startswith("Choose what you need from the menu below")


async def test_free_text_from_a_resident_without_a_unit_is_offered_as_a_question(
    xiaoming: ResidentChat,
) -> None:
    await xiaoming.register()
    offer = await xiaoming.say("天花板漏水了怎么办")
    assert buttons(offer) == ["❓ 咨询", "不用了，谢谢"]
    assert "登记房屋后即可报修和投诉" in offer.params["text"]
    intro = await xiaoming.press(offer, "❓ 咨询")
    place = await xiaoming.message_after(intro)
    assert place.params["text"].startswith("您的咨询属于哪一类？")  # water is not for questions


async def test_a_photo_outside_a_request_gets_a_hint(alice: ResidentChat) -> None:
    await alice.registered_in_unit()
    hint = await alice.send_photo()
    assert hint.params["text"].startswith("Photos go with a request")


async def test_a_comment_refused_because_the_ticket_moved_on_ends_with_the_menu(
    alice: ResidentChat,
) -> None:
    await alice.registered_in_unit()
    ticket_id = await file_directly(alice, "Door lock broken")
    listing = await alice.say("📋 My tickets")
    label = next(b for b in buttons(listing) if "SG-000001" in b)
    detail = await alice.press(listing, label, expect="editMessageText")
    await alice.press(detail, "💬 Add a comment or photo")
    await staff_cancels(alice.app, ticket_id)  # meanwhile, the office cancels it

    refused = await alice.say("It is the front door")
    assert refused.params["text"] == (
        "This ticket has changed since this button was shown. Please look again."
    )
    menu = [b["text"] for row in refused.params["reply_markup"]["keyboard"] for b in row]
    assert "📋 My tickets" in menu  # the conversation is over: the menu is back
    after = await alice.say("📋 My tickets")  # and it works
    assert any("SG-000001" in b for b in buttons(after))


async def test_a_neighbour_who_joined_hears_the_filer_cancelled_and_may_report_again(
    alice: ResidentChat, bob: ResidentChat
) -> None:
    await bob.registered_in_unit()
    first = await file_directly(bob, "Lift 2 is stuck", category_key="lift")
    await alice.registered_in_unit()
    app = alice.app
    assert app.sessionmaker is not None and app.organisation is not None
    async with app.sessionmaker() as session, session.begin():
        joined = await session.scalar(select(Person.id).where(Person.telegram_id == alice.id))
        assert joined is not None
        session.add(TicketFollower(ticket_id=first, person_id=joined, joined_at=app.clock.now()))
    mark = alice.mark()
    async with app.sessionmaker() as session, session.begin():
        bob_actor = await resolve_actor(session, bob.id)
        ctx = Context(app.organisation, app.clock.now())
        await lifecycle.cancel_by_resident(session, ctx, first, bob_actor, "it works again")
    told = await alice.telegram.wait_for("sendMessage", chat_id=alice.id, since=mark)
    assert told.params["text"] == (
        "🚫 SG-000001 was cancelled by the resident who filed it. If the problem is still "
        "there for you, write to me here and I will help you report it."
    )


async def test_a_common_area_ticket_names_its_property(alice: ResidentChat) -> None:
    await alice.registered_in_unit()
    await file_directly(alice, "Lift 2 stuck", category_key="lift", location_text="Building 1")
    listing = await alice.say("📋 My tickets")
    detail = await alice.press(listing, buttons(listing)[0], expect="editMessageText")
    assert "Where: 阳光花园 – Building 1\n" in detail.params["text"]
