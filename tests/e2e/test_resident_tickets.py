"""Free text understood, duplicates joined, and following one's tickets to the end."""

from __future__ import annotations

from sqlalchemy import select

from bot.app.application import Application
from bot.app.context import Context
from bot.services.people import resolve_actor
from bot.services.tickets import lifecycle
from bot.services.tickets.lifecycle import TicketDraft
from fake_telegram import FakeTelegramServer, FakeUser
from storage.models import (
    OrgUnit,
    Person,
    TicketEvent,
    TicketFollower,
    TicketKind,
    TicketStatus,
)
from tests.e2e import residents
from tests.e2e.conftest import say


async def file_directly(app: Application, telegram_id: int, description: str, **fields) -> int:
    assert app.sessionmaker is not None and app.organisation is not None
    await residents.settled(app)
    async with app.sessionmaker() as session, session.begin():
        person = await session.scalar(select(Person).where(Person.telegram_id == telegram_id))
        project = await session.scalar(select(OrgUnit.id).where(OrgUnit.key == "sunshine"))
        draft = TicketDraft(
            project_id=project,
            kind=fields.pop("kind", TicketKind.REPAIR),
            description=description,
            **fields,
        )
        ctx = Context(app.organisation, app.clock.now())
        return (await lifecycle.create_ticket(session, ctx, person, draft)).id


async def staff_resolves(app: Application, ticket_id: int, what: str = "Replaced the seal") -> None:
    assert app.sessionmaker is not None and app.organisation is not None
    await residents.settled(app)
    async with app.sessionmaker() as session, session.begin():
        agent = await resolve_actor(session, 5001)
        ctx = Context(app.organisation, app.clock.now())
        await lifecycle.take(session, ctx, ticket_id, agent, None)
        await lifecycle.reply_to_resident(session, ctx, ticket_id, agent, "Coming at 3pm <ok>")
        await lifecycle.resolve(session, ctx, ticket_id, agent, what)
    await residents.delivered(app)  # residents' news is out before the test goes on


async def test_free_text_with_a_typo_is_offered_as_a_repair(
    app: Application, telegram: FakeTelegramServer, resident_en: FakeUser
) -> None:
    await residents.registered_in_unit(app, telegram, resident_en, "Alice")
    offer = await say(telegram, resident_en, "The elevater in my building is brokn again")
    assert "It sounds like: Lift." in offer.params["text"]
    assert residents.buttons(offer) == [
        "🔧 Repair",
        "📣 Complaint",
        "💡 Suggestion",
        "❓ Question",
        "No, thanks",
    ]
    intro = await residents.press(telegram, resident_en, offer, "🔧 Repair")
    place = await residents.next_message(telegram, resident_en, intro.seq + 1)
    assert place.params["text"].startswith("Where is it?")  # category and description known
    location = await residents.press(
        telegram, resident_en, place, "🌳 阳光花园: common area or general"
    )
    photos = await say(telegram, resident_en, "Building 1, the left lift")
    urgent = await residents.press(telegram, resident_en, photos, "No photos")
    summary = await residents.press(telegram, resident_en, urgent, "No")
    assert "Category: Lift" in summary.params["text"]
    assert "The elevater in my building is brokn again" in summary.params["text"]
    filed = await residents.press(telegram, resident_en, summary, "✅ Submit")
    assert "SG-000001" in filed.params["text"]
    assert location.params["text"].startswith("Where exactly?")


async def test_free_text_in_chinese_and_a_greeting(
    app: Application, telegram: FakeTelegramServer, resident_zh: FakeUser
) -> None:
    await residents.registered_in_unit(app, telegram, resident_zh, "张小明")
    hint = await say(telegram, resident_zh, "你好")
    assert hint.params["text"].startswith("请在下方菜单中选择所需服务")
    offer = await say(telegram, resident_zh, "天花板漏水了,滴到床上")
    assert "看起来是:漏水。" in offer.params["text"]
    assert residents.buttons(offer) == [
        "🔧 报修",
        "📣 投诉",
        "不用了,谢谢",
    ]  # water: repair/complaint
    no = await residents.press(telegram, resident_zh, offer, "不用了,谢谢")
    assert no.params["text"] == "好的。"
    assert await residents.tickets_in_db(app) == []


async def test_duplicate_is_offered_and_joining_makes_a_follower(
    app: Application, telegram: FakeTelegramServer, resident_en: FakeUser
) -> None:
    neighbour = telegram.user(id=7011, first_name="Bob", language_code="en")
    await residents.registered_in_unit(app, telegram, neighbour, "Bob")
    first = await file_directly(
        app,
        neighbour.id,
        "Lift 2 is stuck between floors, call me 13912345678",
        category_key="lift",
        location_text="Building 1",
    )
    await residents.registered_in_unit(app, telegram, resident_en, "Alice")
    question = await say(telegram, resident_en, "🔧 Report a repair")
    question = await residents.next_message(telegram, resident_en, question.seq + 1)
    place = await residents.press(telegram, resident_en, question, "Lift")
    where = await residents.press(
        telegram, resident_en, place, "🌳 阳光花园: common area or general"
    )
    described = await say(telegram, resident_en, "Building 1")
    photos = await say(telegram, resident_en, "lift 2 stuck again")
    urgent = await residents.press(telegram, resident_en, photos, "No photos")
    summary = await residents.press(telegram, resident_en, urgent, "No")
    duplicates = await residents.press(telegram, resident_en, summary, "✅ Submit")
    text = duplicates.params["text"]
    assert text.startswith("Neighbours have already reported something similar:")
    assert "<b>SG-000001</b>" in text and "13912345678" not in text  # a neighbour's phone hidden
    assert residents.buttons(duplicates) == ["Join SG-000001", "📝 File a new one"]

    mark = telegram.mark()
    joined = await residents.press(telegram, resident_en, duplicates, "Join SG-000001")
    assert joined.params["text"].startswith("You joined <b>SG-000001</b> (2 residents affected)")
    card = await telegram.wait_for("editMessageText", chat_id=residents.SUNSHINE_GROUP, since=mark)
    assert "SG-000001" in card.params["text"]
    assert len(await residents.tickets_in_db(app)) == 1
    assert (await residents.ticket(app, first)).affected_count == 2

    # A follower gets every status update and sees the ticket, but not the neighbour's words.
    mark = telegram.mark()
    await staff_resolves(app, first)
    update = await telegram.wait_for(
        "sendMessage", lambda c: "SG-000001" in c.params["text"], chat_id=resident_en.id, since=mark
    )
    assert update is not None
    listing = await say(telegram, resident_en, "📋 My tickets")
    assert (
        residents.buttons(listing)[0] == "✅ SG-000001 · Lift"
    )  # the category, not the neighbour's words
    detail = await residents.press(
        telegram, resident_en, listing, residents.buttons(listing)[0], expect="editMessageText"
    )
    assert "13912345678" not in detail.params["text"]
    assert "a neighbour with the same problem joined" in detail.params["text"]
    assert "✖️ Cancel this ticket" not in residents.buttons(detail)  # only the filer cancels
    assert where.params["text"].startswith("Where exactly?")
    assert described.params["text"].startswith("Please describe it")
    assert app.sessionmaker is not None
    await residents.settled(app)
    async with app.sessionmaker() as session:
        assert len((await session.scalars(select(TicketFollower))).all()) == 1


async def test_filing_a_new_one_despite_a_duplicate(
    app: Application, telegram: FakeTelegramServer, resident_zh: FakeUser
) -> None:
    neighbour = telegram.user(id=7011, first_name="Bob", language_code="en")
    await residents.registered_in_unit(app, telegram, neighbour, "Bob")
    await file_directly(app, neighbour.id, "2号楼电梯困人了", category_key="lift")
    await residents.registered_in_unit(app, telegram, resident_zh, "张小明")
    offer = await say(telegram, resident_zh, "2号楼电梯坏了,有人被困在里面")
    intro = await residents.press(telegram, resident_zh, offer, "🔧 报修")
    place = await residents.next_message(telegram, resident_zh, intro.seq + 1)
    await residents.press(telegram, resident_zh, place, "🌳 阳光花园:公共区域或整体")
    photos = await say(telegram, resident_zh, "2号楼")
    urgent = await residents.press(telegram, resident_zh, photos, "不发照片")
    summary = await residents.press(telegram, resident_zh, urgent, "⚡ 是,紧急")
    duplicates = await residents.press(telegram, resident_zh, summary, "✅ 提交")
    assert "邻居已经反映过类似问题" in duplicates.params["text"]
    filed = await residents.press(telegram, resident_zh, duplicates, "📝 新建一单")
    assert "SG-000002" in filed.params["text"]


async def test_my_tickets_are_paged_open_first_with_detail_and_history(
    app: Application, telegram: FakeTelegramServer, resident_en: FakeUser
) -> None:
    await residents.registered_in_unit(app, telegram, resident_en, "Alice")
    ids = [await file_directly(app, resident_en.id, f"Problem number {n}") for n in range(7)]
    assert app.sessionmaker is not None and app.organisation is not None
    async with app.sessionmaker() as session, session.begin():  # the oldest one is closed
        actor = await resolve_actor(session, resident_en.id)
        ctx = Context(app.organisation, app.clock.now())
        await lifecycle.cancel_by_resident(session, ctx, ids[0], actor, "fixed it myself")

    listing = await say(telegram, resident_en, "/tickets")
    assert "(7), page 1 of 2" in listing.params["text"]
    rows = residents.buttons(listing)
    assert rows[0].startswith("🆕 SG-000007") and rows[-1] == "▶"
    page2 = await residents.press(telegram, resident_en, listing, "▶", expect="editMessageText")
    rows2 = residents.buttons(page2)
    assert rows2[-2].startswith("🚫 SG-000001") and rows2[-1] == "◀"  # closed ones last

    await staff_resolves(app, ids[3])
    listing = await say(telegram, resident_en, "📋 My tickets")
    detail = await residents.press(
        telegram,
        resident_en,
        listing,
        next(b for b in residents.buttons(listing) if "SG-000004" in b),
        expect="editMessageText",
    )
    text = detail.params["text"]
    assert "<b>SG-000004</b>" in text and "Status: resolved" in text
    assert "property office: Coming at 3pm &lt;ok&gt;" in text
    assert "status: resolved" in text
    assert residents.buttons(detail)[:2] == ["✅ It is fixed", "↩️ Not fixed"]


async def test_comment_with_photos_cancel_confirm_and_reopen(
    app: Application, telegram: FakeTelegramServer, resident_en: FakeUser
) -> None:
    await residents.registered_in_unit(app, telegram, resident_en, "Alice")
    first = await file_directly(app, resident_en.id, "Door lock broken")
    second = await file_directly(app, resident_en.id, "Window cracked")

    async def open_detail(number: str):
        listing = await say(telegram, resident_en, "📋 My tickets")
        label = next(b for b in residents.buttons(listing) if number in b)
        return await residents.press(
            telegram, resident_en, listing, label, expect="editMessageText"
        )

    # Comment with an album of two photos, then words.
    detail = await open_detail("SG-000001")
    prompt = await residents.press(telegram, resident_en, detail, "💬 Add a comment or photo")
    mark = telegram.mark()
    telegram.send_album(resident_en, 2)
    ack = await residents.next_message(telegram, resident_en, mark)
    await telegram.wait_for("editMessageText", chat_id=resident_en.id, since=mark)
    mark = telegram.mark()
    done = await say(telegram, resident_en, "It is the <front> door")
    assert (
        done.params["text"] == "Your comment was added to SG-000001; the property office sees it."
    )
    await residents.bot_says(telegram, residents.SUNSHINE_GROUP, "&lt;front&gt;", since=mark)
    await telegram.wait_for("sendPhoto", chat_id=residents.SUNSHINE_GROUP, since=mark, count=2)
    assert prompt.params["text"].startswith("Write your comment for SG-000001")
    assert ack.params["text"].startswith("Photos attached: 1")

    # Cancel with a reason.
    detail = await open_detail("SG-000002")
    await residents.press(telegram, resident_en, detail, "✖️ Cancel this ticket")
    cancelled = await say(telegram, resident_en, "Found a glazier myself")
    assert cancelled.params["text"] == "Ticket SG-000002 is cancelled."
    assert (await residents.ticket(app, second)).status is TicketStatus.CANCELLED
    assert (await residents.ticket(app, second)).cancel_reason == "Found a glazier myself"

    # Resolved: not fixed re-opens it, with a reason; then it is fixed.
    await staff_resolves(app, first)
    detail = await open_detail("SG-000001")
    asked = await residents.press(telegram, resident_en, detail, "↩️ Not fixed")
    assert asked.params["text"].startswith("What is still wrong with SG-000001?")
    mark = telegram.mark()
    reopened = await say(telegram, resident_en, "Still does not lock")
    assert reopened.params["text"].startswith("Ticket SG-000001 is open again")
    await residents.bot_says(telegram, residents.SUNSHINE_GROUP, "Still does not lock", since=mark)
    reloaded = await residents.ticket(app, first)
    assert reloaded.status is TicketStatus.IN_PROGRESS and reloaded.reopen_count == 1

    # The old detail message's "It is fixed" is stale now: refused, nothing changes.
    mark = telegram.mark()
    telegram.press(resident_en, residents.message_of(detail), text="✅ It is fixed")
    stale = await telegram.wait_for("answerCallbackQuery", since=mark)
    assert stale.params["show_alert"] is True
    assert (await residents.ticket(app, first)).status is TicketStatus.IN_PROGRESS

    assert app.sessionmaker is not None and app.organisation is not None
    async with app.sessionmaker() as session, session.begin():
        agent = await resolve_actor(session, 5001)
        ctx = Context(app.organisation, app.clock.now())
        await lifecycle.resolve(session, ctx, first, agent, "New lock fitted")
    await residents.delivered(app)
    detail = await open_detail("SG-000001")
    mark = telegram.mark()
    confirmed = await residents.press(
        telegram, resident_en, detail, "✅ It is fixed", expect="editMessageText"
    )
    assert "Status: closed" in confirmed.params["text"]
    thanks = await telegram.wait_for("answerCallbackQuery", since=mark)
    assert thanks.params["text"] == "Thank you! The ticket is closed."
    assert (await residents.ticket(app, first)).status is TicketStatus.CLOSED
    await residents.settled(app)
    async with app.sessionmaker() as session:
        kinds = [
            e.kind
            for e in (
                await session.scalars(select(TicketEvent).where(TicketEvent.ticket_id == first))
            ).all()
        ]
    assert "comment" in kinds and "reopened" in kinds


async def test_another_residents_ticket_is_never_shown(
    app: Application, telegram: FakeTelegramServer, resident_en: FakeUser
) -> None:
    neighbour = telegram.user(id=7011, first_name="Bob", language_code="en")
    await residents.registered_in_unit(app, telegram, neighbour, "Bob")
    theirs = await file_directly(app, neighbour.id, "Private matter in my flat")
    await residents.registered_in_unit(app, telegram, resident_en, "Alice")
    listing = await say(telegram, resident_en, "📋 My tickets")
    assert listing.params["text"].startswith("You have no tickets yet")
    for action in ("view", "comment", "cancel", "confirm", "reopen"):
        mark = telegram.mark()
        telegram.press_raw(
            resident_en, resident_en.id, listing.result["message_id"], f"rt:{action}:{theirs}:1"
        )
        answer = await telegram.wait_for("answerCallbackQuery", since=mark)
        assert answer.params["text"] == "This is not one of your tickets.", action
        assert answer.params["show_alert"] is True
    assert (await residents.ticket(app, theirs)).status is TicketStatus.NEW


async def test_free_text_from_a_resident_without_a_unit_is_offered_as_a_question(
    app: Application, telegram: FakeTelegramServer, resident_zh: FakeUser
) -> None:
    await residents.register(telegram, resident_zh, "张小明")
    offer = await say(telegram, resident_zh, "天花板漏水了怎么办")
    assert residents.buttons(offer) == ["❓ 咨询", "不用了,谢谢"]
    assert "登记房屋后即可报修和投诉" in offer.params["text"]
    intro = await residents.press(telegram, resident_zh, offer, "❓ 咨询")
    place = await residents.next_message(telegram, resident_zh, intro.seq + 1)
    assert place.params["text"].startswith("您的咨询属于哪一类?")  # water is not for questions


async def test_a_photo_outside_a_request_gets_a_hint(
    app: Application, telegram: FakeTelegramServer, resident_en: FakeUser
) -> None:
    await residents.registered_in_unit(app, telegram, resident_en, "Alice")
    mark = telegram.mark()
    telegram.send_photo(resident_en)
    hint = await residents.next_message(telegram, resident_en, mark)
    assert hint.params["text"].startswith("Photos go with a request")
