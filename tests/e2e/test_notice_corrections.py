"""Correcting and withdrawing a sent notice (issue 18), end to end on the fake Bot API.

A correction edits every copy already sent (residents' in their language, the staff
group's) and changes the ones not sent yet; a notice with a photo has its caption edited.
A withdrawal edits the sent copies to say so and stops the unsent ones for good. The
sender's progress message is edited as the delivery goes, and the final count comes once.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.app.application import Application
from fake_telegram import FakeTelegramServer, FakeUser, StoredMessage
from fake_telegram.errors import too_many_requests
from fake_telegram.models import ApiCall
from scheduler.announcement_jobs import report_notice_progress
from storage.models import Announcement, AuditEntry, OutboxMessage, OutboxStatus
from tests.conftest import eventually
from tests.e2e.notice_support import compose_notice, write_notices_org
from tests.e2e.residents import buttons, delivered, press, say, settled
from tests.e2e.survey_support import add_resident

SUNSHINE_GROUP = -1009000000100
MANAGER = 5002
ZH, EN, LATE = 7601, 7602, 7603


@pytest.fixture
def org_file(tmp_path: Path) -> Path:
    return write_notices_org(tmp_path)


async def residents(app: Application, telegram: FakeTelegramServer, *ids: int) -> None:
    places = {
        ZH: ("301", "zh_CN", "zh-hans"),
        EN: ("302", "en", "en"),
        LATE: ("303", "zh_CN", "zh-hans"),
    }
    for telegram_id in ids:
        unit, language, code = places[telegram_id]
        name = f"R{telegram_id}"
        telegram.user(id=telegram_id, first_name=name, language_code=code)
        await add_resident(app, telegram_id, name, language=language, building="3", unit=unit)


async def send_water_notice(
    app: Application, telegram: FakeTelegramServer, manager: FakeUser, *, photo: bool = False
) -> ApiCall:
    """The manager's outage notice for building 3, sent; returns the confirmation (with
    Correct / Withdraw)."""
    preview = await compose_notice(
        telegram, manager, audience="🏘 阳光花园", buildings=["3号楼"],
        kind="🚧 计划停用/施工", category="漏水", window="10:00-16:00",
        text_zh="3号楼今天10:00–16:00停水检修",
        text_en="Water off in Building 3 today 10:00–16:00 for repairs", photo=photo,
    )  # fmt: skip
    assert "📤 发送" in buttons(preview)
    sent = await press(telegram, manager, preview, "📤 发送")
    assert buttons(sent) == ["✏️ 更正", "🗑 撤回"]
    await settled(app)  # the notice and its copies are stored
    return sent


def copies(telegram: FakeTelegramServer, chat_id: int, method: str) -> list[ApiCall]:
    """The notice's copies sent to the chat (successful calls)."""
    return [
        call
        for call in telegram.calls_of(method, chat_id=chat_id)
        if call.ok
        and "10:00–16:00" in (call.params.get("text") or call.params.get("caption") or "")
    ]


def stored(telegram: FakeTelegramServer, call: ApiCall) -> StoredMessage:
    found = telegram.message(call.params["chat_id"], call.result["message_id"])
    assert found is not None
    return found


def shown(message: StoredMessage) -> str:
    return message.text or message.caption or ""


async def test_a_correction_edits_every_copy_already_sent(
    app: Application, telegram: FakeTelegramServer
) -> None:
    await residents(app, telegram, ZH, EN)
    manager = telegram.user(id=MANAGER, first_name="李强")
    sent = await send_water_notice(app, telegram, manager)
    await delivered(app)
    [chinese] = copies(telegram, ZH, "sendMessage")
    [english] = copies(telegram, EN, "sendMessage")
    [group] = await eventually(lambda: copies(telegram, SUNSHINE_GROUP, "sendMessage"))
    # The time window with its zone, bracketed as each language does it.
    assert "16:00（北京时间）" in chinese.params["text"]
    assert "16:00 (Beijing time)" in english.params["text"]

    asked = await press(telegram, manager, sent, "✏️ 更正")
    assert asked.params["text"] == "请输入更正后的中文通知。"
    asked = await say(telegram, manager, "3号楼今天10:00–16:00停水检修，改为12:00恢复")
    assert "英文" in asked.params["text"]
    done = await say(telegram, manager, "Water back at 12:00 instead")
    assert done.params["text"].startswith("✏️ 已更正")

    for call, words in (
        (chinese, "改为12:00恢复"),
        (english, "Water back at 12:00 instead"),
        (group, "改为12:00恢复"),
    ):
        message = stored(telegram, call)
        await eventually(lambda m=message, w=words: w in shown(m))
        assert "已更正" in shown(message) or "Corrected" in shown(message)
        assert len(message.history) == 1  # edited once, in place
    assert "Water off in Building 3" in english.params["text"]  # it was the English copy
    # Nothing was sent again: the same one message each.
    assert len(copies(telegram, ZH, "sendMessage")) == 1
    assert len(copies(telegram, EN, "sendMessage")) == 1
    assert [c.params["message_id"] for c in telegram.calls_of("editMessageText", chat_id=ZH)] == [
        chinese.result["message_id"]
    ]
    assert app.sessionmaker is not None
    async with app.sessionmaker() as session:
        [notice] = (await session.scalars(select(Announcement))).all()
        actions = (
            await session.scalars(
                select(AuditEntry.action).where(AuditEntry.action.startswith("notice."))
            )
        ).all()
    assert notice.revision == 2 and notice.text_en == "Water back at 12:00 instead"
    assert sorted(actions) == ["notice.correct", "notice.send"]


async def test_a_notice_with_a_photo_goes_as_a_photo_and_its_caption_is_corrected(
    app: Application, telegram: FakeTelegramServer
) -> None:
    await residents(app, telegram, ZH, EN)
    manager = telegram.user(id=MANAGER, first_name="李强")
    sent = await send_water_notice(app, telegram, manager, photo=True)
    await delivered(app)
    [chinese] = copies(telegram, ZH, "sendPhoto")
    [english] = copies(telegram, EN, "sendPhoto")
    assert "停水检修" in chinese.params["caption"]
    assert "Water off in Building 3" in english.params["caption"]
    assert chinese.params["photo"] == english.params["photo"]  # the manager's photo
    assert copies(telegram, ZH, "sendMessage") == []
    await eventually(lambda: copies(telegram, SUNSHINE_GROUP, "sendPhoto"))

    await press(telegram, manager, sent, "✏️ 更正")
    await say(telegram, manager, "3号楼停水检修延长到18:00")
    await say(telegram, manager, "-")  # the English text stays
    message = stored(telegram, chinese)
    await eventually(lambda: "延长到18:00" in shown(message))
    assert message.data.get("photo")  # still the photo, with the new caption
    edits = telegram.calls_of("editMessageCaption", chat_id=ZH)
    assert [c.params["message_id"] for c in edits] == [chinese.result["message_id"]]
    english_now = stored(telegram, english)
    await eventually(lambda: "Corrected" in shown(english_now))
    assert "Water off in Building 3" in shown(english_now)


async def test_withdrawal_edits_the_sent_copies_and_stops_the_others_and_the_sender_hears(
    app: Application, telegram: FakeTelegramServer
) -> None:
    await residents(app, telegram, ZH, EN, LATE)
    manager = telegram.user(id=MANAGER, first_name="李强")
    # Telegram keeps two residents' copies back: one for 10 minutes, one for an hour.
    telegram.fail_next("sendMessage", too_many_requests(600), chat_id=EN)
    telegram.fail_next("sendMessage", too_many_requests(3600), chat_id=LATE)
    sent = await send_water_notice(app, telegram, manager)
    [chinese] = await eventually(lambda: copies(telegram, ZH, "sendMessage"))
    await until_copies(app, sent=1, held_back=2)

    await report_notice_progress(app)
    progress = await telegram.wait_for(
        "sendMessage", lambda c: "⏳" in c.params.get("text", ""), chat_id=MANAGER
    )
    assert progress.params["text"] == "⏳ 通知发送中：已送达 1，无法送达 0，待发送 2。"

    app.clock.advance(timedelta(minutes=11))  # type: ignore[attr-defined]
    app.sender.wake()  # type: ignore[union-attr]
    [english] = await eventually(lambda: copies(telegram, EN, "sendMessage"))
    await until_copies(app, sent=2, held_back=1)
    mark = telegram.mark()
    await report_notice_progress(app)
    edited = await telegram.wait_for("editMessageText", chat_id=MANAGER, since=mark)
    assert edited.params["message_id"] == progress.result["message_id"]
    assert edited.params["text"] == "⏳ 通知发送中：已送达 2，无法送达 0，待发送 1。"

    mark = telegram.mark()
    telegram.press(manager, sent.result, text="🗑 撤回")
    answer = await telegram.wait_for("sendMessage", chat_id=MANAGER, since=mark)
    assert answer.params["text"].startswith("🗑 已撤回：1 条尚未发出的已取消")
    for call in (chinese, english):
        message = stored(telegram, call)
        await eventually(lambda m=message: shown(m).startswith("❌"))
        assert "10:00–16:00" in shown(message)  # what was withdrawn stays readable
    assert "withdrawn" in shown(stored(telegram, english))

    await report_notice_progress(app)
    final = await telegram.wait_for(
        "sendMessage", lambda c: c.params.get("text", "").startswith("✅"), chat_id=MANAGER
    )
    assert final.params["text"] == "✅ 通知发送完毕：2 位住户已收到，0 位无法送达。"

    app.clock.advance(timedelta(hours=2))  # type: ignore[attr-defined]
    app.sender.wake()  # type: ignore[union-attr]
    await delivered(app)
    await settled(app)
    assert copies(telegram, LATE, "sendMessage") == []  # the held-back copy never goes
    assert telegram.calls_of("editMessageText", chat_id=LATE) == []
    assert app.sessionmaker is not None
    async with app.sessionmaker() as session:
        notice = await session.scalar(select(Announcement))
        assert notice is not None and notice.withdrawn_at is not None
        left = (
            await session.scalars(select(OutboxMessage.id).where(OutboxMessage.chat_id == LATE))
        ).all()
        audited = (
            await session.scalars(
                select(AuditEntry)
                .where(AuditEntry.action.startswith("notice."))
                .order_by(AuditEntry.id)
            )
        ).all()
    assert left == []
    assert [(e.action, e.outcome) for e in audited] == [
        ("notice.send", "allowed"),
        ("notice.withdraw", "allowed"),
    ]
    withdrawal = audited[1]
    assert withdrawal.data == {"notice": notice.id, "dropped": 1}
    assert withdrawal.actor_telegram_id == MANAGER
    assert withdrawal.actor_person_id == notice.withdrawn_by_id == notice.created_by_id


async def until_copies(app: Application, *, sent: int, held_back: int) -> None:
    """Wait until so many residents' copies are recorded as sent, and so many were
    refused for now (429) and wait."""
    assert app.sessionmaker is not None

    async def counted() -> bool:
        async with app.sessionmaker() as session:  # type: ignore[misc]
            rows = (
                await session.execute(
                    select(OutboxMessage.status, OutboxMessage.last_error).where(
                        OutboxMessage.chat_id > 0,
                        OutboxMessage.locked_by.is_(None),
                        OutboxMessage.ref.startswith("notice:"),
                    )
                )
            ).all()
        done = sum(1 for status, _error in rows if status == OutboxStatus.SENT)
        held = sum(1 for status, error in rows if status == OutboxStatus.PENDING and error)
        return (done, held) == (sent, held_back)

    await eventually(counted)
