"""The longest ticket there can be still opens: the resident's detail and history are paged,
staff Details fit, every message within Telegram's limits (the fake Bot API refuses one
over 4,096 UTF-16 units, as Telegram does)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from sqlalchemy import select

from bot.app.application import Application
from bot.presentation.message_split import TEXT_LIMIT
from bot.services.tickets.lifecycle import Photo
from fake_telegram import FakeTelegramServer
from fake_telegram.media import make_jpeg
from fake_telegram.models import FileDetails, StoredMessage
from fake_telegram.text_units import utf16_len
from storage.models import Person, TicketEvent, TicketEventKind
from tests.e2e import staff_helpers as desk
from tests.e2e.chat import ResidentChat, StaffChat
from tests.e2e.conftest import AppFactory, org_file_with
from tests.e2e.residents import buttons, tickets_in_db

EVENTS = 300
EMOJI = "🚰💧🔧"


def _emoji_text(length: int, label: str) -> str:
    """``length`` characters, nearly all emoji (two UTF-16 units each)."""
    return (label + EMOJI * length)[:length]


def _photos(telegram: FakeTelegramServer, count: int) -> list[Photo]:
    photos = []
    for _ in range(count):
        stored = telegram.state.files.add(
            "photo", make_jpeg(32, 24), FileDetails(width=32, height=24), extension="jpg"
        )
        photos.append(Photo(stored.file_id, stored.file_unique_id))
    return photos


async def _longest_ticket(app: Application, telegram: FakeTelegramServer, resident: int) -> int:
    """Maximal description and photos, and hundreds of emoji-heavy history entries."""
    assert app.sessionmaker is not None and app.organisation is not None
    policy = app.organisation.residents
    ticket = await desk.file_ticket(
        app,
        telegram,
        resident_id=resident,
        description=_emoji_text(policy.description_max_length, "描述"),
        photos=_photos(telegram, policy.max_photos),
    )
    kinds = (TicketEventKind.REPLY, TicketEventKind.COMMENT, TicketEventKind.NOTE)
    async with app.sessionmaker() as session, session.begin():
        agent = await session.scalar(select(Person.id).where(Person.telegram_id == desk.AGENT))
        filer = await session.scalar(select(Person.id).where(Person.telegram_id == resident))
        for n in range(EVENTS):
            kind = kinds[n % 3]
            session.add(
                TicketEvent(
                    ticket_id=ticket.id,
                    at=app.clock.now() + timedelta(minutes=n + 1),
                    actor_id=filer if kind is TicketEventKind.COMMENT else agent,
                    kind=kind.value,
                    body=_emoji_text(1500 if n % 50 == 0 else 120, f"#{n} "),
                    internal=kind is TicketEventKind.NOTE,
                )
            )
    return ticket.id


def _labels(message: StoredMessage) -> list[str]:
    rows = (message.reply_markup or {}).get("inline_keyboard", [])
    return [button["text"] for row in rows for button in row]


async def test_the_longest_ticket_opens_for_the_resident_and_for_staff(
    start_app: AppFactory,
    telegram: FakeTelegramServer,
    org_file: Path,
    tmp_path: Path,
) -> None:
    longest = org_file_with(org_file, tmp_path, "description_max_length = 3000\nmax_photos = 10")
    app = await start_app(bot_config=longest)
    alice = ResidentChat(app, telegram, telegram.user(id=7002, language_code="en"), "Alice")
    await alice.registered_in_unit()
    await _longest_ticket(app, telegram, alice.id)

    listing = await alice.say("📋 My tickets")
    detail = await alice.press(listing, buttons(listing)[0], expect="editMessageText")
    pages = [detail]
    while "▶" in buttons(pages[-1]):
        pages.append(await alice.press(pages[-1], "▶", expect="editMessageText"))
    assert all(page.ok for page in pages)
    texts = [page.result["text"] for page in pages]
    assert all(utf16_len(text) <= TEXT_LIMIT for text in texts)
    assert len(pages) > 10 and f"Page {len(pages)} of {len(pages)}" in texts[-1]
    assert "Photos: 10" in "".join(texts)
    assert f"#{EVENTS - 2} " in texts[-1]  # the newest the resident may see, on the last page
    assert not any(f"#{n} " in "".join(texts) for n in range(2, EVENTS, 3))  # notes: staff only
    back = await alice.press(pages[-1], "◀", expect="editMessageText")
    assert back.ok and back.result["text"] == texts[-2]

    agent = StaffChat(app, telegram, desk.staff_user(telegram, desk.AGENT))
    mark = telegram.mark()
    [ticket] = await tickets_in_db(app)
    assert await agent.press(await agent.card(ticket), "details") == "已通过私聊发送给您。"
    sent = await telegram.wait_for("sendMessage", chat_id=desk.AGENT, since=mark, count=3)
    assert all(call.ok for call in sent)
    shown = [call.result["text"] for call in sent]
    assert all(utf16_len(text) <= TEXT_LIMIT for text in shown)
    assert f"#{EVENTS - 1} " in shown[-1] and "条较早的记录未显示" in shown[-1]

    # The history pages back to its first entry under the last message, in place.
    history = await agent.bot_says_privately("条较早的记录未显示", since=mark)
    assert _labels(history) == ["◀"]
    pages_shown = [shown[-1]]
    while "◀" in _labels(history):
        mark = telegram.mark()
        await agent.press_label(history, "◀")
        edit = await telegram.wait_for("editMessageText", chat_id=desk.AGENT, since=mark)
        assert edit.ok and utf16_len(edit.result["text"]) <= TEXT_LIMIT
        pages_shown.append(edit.result["text"])
        assert history.text == edit.result["text"]  # edited in place
    assert len(pages_shown) > 10
    assert "#0 " in pages_shown[-1] and f"第 1 页，共 {len(pages_shown)} 页" in pages_shown[-1]
    assert "条较早的记录未显示" not in pages_shown[-1]
    every_entry = "".join(pages_shown)
    assert all(f"#{n} " in every_entry for n in range(EVENTS))  # notes included: staff
    mark = telegram.mark()
    await agent.press_label(history, "▶")
    edit = await telegram.wait_for("editMessageText", chat_id=desk.AGENT, since=mark)
    assert edit.result["text"] == pages_shown[-2]
