"""Manager and personal-data commands sent in a staff group: nothing of their answer is
posted there. ``/stats`` goes to the manager's private chat (or, when the bot may not write
to them yet, the group is told to open that chat first); ``/audit``, ``/export``,
``/outbox``, ``/notice`` and a resident's data commands get a pointer to the private chat."""

from __future__ import annotations

import pytest

from bot.app.application import Application
from fake_telegram import FakeTelegramServer
from tests.e2e import staff_helpers as desk
from tests.e2e.residents import say, settled

GROUP = desk.SUNSHINE_GROUP
POINTER = "只在私聊中回复"  # "I answer /… only in a private chat"


async def _seed_audit_log(app: Application) -> None:
    """Lines a manager of sunshine may read (in private)."""
    await desk.seed_refusals(
        app,
        [("sunshine", "ticket.take"), ("sunshine", "personal_data.export")],
        actor_telegram_id=4242,
        reason="seeded-secret-reason",
    )


def _everything_sent(telegram: FakeTelegramServer, since: int) -> list[str]:
    """Every text and caption the bot sent anywhere from ``since`` on."""
    sent = []
    for method in ("sendMessage", "sendPhoto", "sendDocument"):
        for call in telegram.calls_of(method):
            if call.seq >= since:
                sent.append(str(call.params.get("text") or call.params.get("caption") or ""))
    return sent


async def test_audit_in_a_staff_group_posts_nothing_of_the_log(
    app: Application, telegram: FakeTelegramServer
) -> None:
    await _seed_audit_log(app)
    manager = desk.staff_user(telegram, desk.MANAGER)
    mark = telegram.mark()
    telegram.send_text(manager, "/audit 30", chat_id=GROUP)
    pointer = await desk.bot_says(telegram, GROUP, POINTER, since=mark)
    assert "/audit" in (pointer.text or "") and "https://t.me/resident_test_bot" in (
        pointer.text or ""
    )
    await settled(app)
    sent = _everything_sent(telegram, mark)
    assert sent == [pointer.text]  # the pointer, and nothing else anywhere
    assert not any("ticket.take" in s or "seeded-secret-reason" in s for s in sent)
    refused = [e for e in await desk.refusals(app) if e.reason == "private_chat_only"]
    assert [(e.action, e.actor_telegram_id) for e in refused] == [("command.audit", desk.MANAGER)]
    assert not [e for e in await desk.audit_entries(app) if e.action == "audit.read"]

    # In the private chat the same manager reads the log as before.
    private = await say(telegram, manager, "/audit 30")
    assert "ticket.take" in private.params["text"]


async def test_audit_from_an_anonymous_group_admin_is_answered_and_shows_nothing(
    app: Application, telegram: FakeTelegramServer
) -> None:
    await _seed_audit_log(app)
    mark = telegram.mark()
    telegram.send_as_anonymous_admin(GROUP, "/audit 30")
    answer = await desk.bot_says(telegram, GROUP, "匿名", since=mark)
    await settled(app)
    assert _everything_sent(telegram, mark) == [answer.text]


@pytest.mark.parametrize(
    "command", ["/export", "/mydata", "/forgetme", "/privacy", "/outbox", "/notice"]
)
async def test_export_and_personal_data_commands_in_a_group_point_to_the_private_chat(
    app: Application, telegram: FakeTelegramServer, command: str
) -> None:
    ticket = await desk.file_ticket(app, telegram, description="somebody's private words")
    await desk.card(telegram, GROUP, ticket.number)
    admin = desk.staff_user(telegram, desk.ADMIN)  # may export, read the outbox, everything
    mark = telegram.mark()
    telegram.send_text(admin, command, chat_id=GROUP)
    pointer = await desk.bot_says(telegram, GROUP, POINTER, since=mark)
    assert command in (pointer.text or "")
    await settled(app)
    assert _everything_sent(telegram, mark) == [pointer.text]
    assert not telegram.calls_of("sendDocument")


async def test_stats_in_a_group_from_a_manager_is_answered_in_their_private_chat(
    app: Application, telegram: FakeTelegramServer
) -> None:
    ticket = await desk.file_ticket(app, telegram)
    await desk.card(telegram, GROUP, ticket.number)
    manager = desk.staff_user(telegram, desk.MANAGER)
    mark = telegram.mark()
    telegram.send_text(manager, "/stats 7d", chat_id=GROUP)
    said = await desk.bot_says(telegram, GROUP, "私聊", since=mark)
    await desk.bot_says(telegram, manager.id, "统计 · 阳光花园", since=mark)
    # The chart too (drawing it can take seconds on a busy machine).
    await telegram.wait_for("sendPhoto", chat_id=manager.id, since=mark, timeout=60)
    await settled(app)
    in_group = [c for c in telegram.calls_of("sendMessage", chat_id=GROUP) if c.seq >= mark]
    assert [c.params["text"] for c in in_group] == [said.text]  # one short line, no figures
    assert "统计 ·" not in (said.text or "")
    assert not telegram.calls_of("sendPhoto", chat_id=GROUP)


async def test_stats_in_a_group_from_a_manager_the_bot_cannot_write_to_points_to_the_private_chat(
    app: Application, telegram: FakeTelegramServer
) -> None:
    manager = desk.staff_user(telegram, desk.MANAGER)
    telegram.block_chat(manager.id)  # as Telegram answers before they ever pressed Start: 403
    mark = telegram.mark()
    telegram.send_text(manager, "/stats 7d text", chat_id=GROUP)
    pointer = await desk.bot_says(telegram, GROUP, "https://t.me/resident_test_bot", since=mark)
    assert "/stats" in (pointer.text or "")
    await settled(app)
    in_group = [c for c in telegram.calls_of("sendMessage", chat_id=GROUP) if c.seq >= mark]
    assert [c.params["text"] for c in in_group] == [pointer.text]  # no figures, no error
    failed = [c for c in telegram.calls_of("sendMessage", chat_id=manager.id) if c.seq >= mark]
    assert failed and not any(c.ok for c in failed)


async def test_stats_in_a_group_from_staff_who_are_not_managers_is_refused_there(
    app: Application, telegram: FakeTelegramServer
) -> None:
    agent = desk.staff_user(telegram, desk.AGENT)
    mark = telegram.mark()
    telegram.send_text(agent, "/stats", chat_id=GROUP)
    refused = await desk.bot_says(telegram, GROUP, "仅供管理人员", since=mark)
    await settled(app)
    assert _everything_sent(telegram, mark) == [refused.text]


async def test_stats_from_an_anonymous_group_admin_gets_a_clear_answer(
    app: Application, telegram: FakeTelegramServer
) -> None:
    mark = telegram.mark()
    telegram.send_as_anonymous_admin(GROUP, "/stats")
    answer = await desk.bot_says(telegram, GROUP, "匿名", since=mark)
    await settled(app)
    assert _everything_sent(telegram, mark) == [answer.text]
