"""The sandbox's parts without a browser: Telegram formatting rebuilt as HTML, the fake's
snapshot across a restart, the clock that only moves forward."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.app.sandbox.clock import SandboxClock
from bot.app.sandbox.view import entities_to_html
from fake_telegram import FakeTelegramServer, parse_html
from fake_telegram.snapshot import load_from, save_to


@pytest.mark.parametrize(
    "markup",
    [
        "🆕 <b>SG-000001</b> · 报修\n<i>天花板</i> &lt;script&gt; &amp; <code>x</code>",
        '<a href="https://example.com/?a=1&amp;b=2">link</a> and <b>bold <i>both</i></b>',
        "<blockquote>quoted 👍🏽 text</blockquote> plain",
    ],
)
def test_entities_give_back_the_bots_html(markup: str) -> None:
    text, entities = parse_html(markup)
    rebuilt = entities_to_html(text, entities).replace(' target="_blank" rel="noopener"', "")
    assert rebuilt == markup


def test_user_text_is_escaped_and_unsafe_links_are_not_links() -> None:
    assert entities_to_html("<img src=x onerror=alert(1)>", []) == (
        "&lt;img src=x onerror=alert(1)&gt;"
    )
    link = [{"type": "text_link", "offset": 0, "length": 4, "url": "javascript:alert(1)"}]
    assert entities_to_html("here", link) == "<u>here</u>"


async def test_a_restored_fake_keeps_chats_files_and_update_ids(tmp_path: Path) -> None:
    before = FakeTelegramServer()
    alice = before.user(id=42, first_name="Alice", language_code="en")
    before.add_group(-100500, "desk")
    before.send_text(alice, "hello")
    before.send_photo(alice)
    path = tmp_path / "telegram.pickle"
    save_to(before.state, path)

    after = FakeTelegramServer()
    assert load_from(after.state, path)
    assert [m.get("text") for m in after.messages_in(42, include_user_messages=True)] == [
        "hello",
        None,
    ]
    photo = after.messages_in(42, include_user_messages=True)[1]
    assert after.file_of(photo).data == before.file_of(photo).data
    assert after.send_text(alice, "again")["update_id"] == 3  # never an id the bot has seen
    assert after.chat(-100500).title == "desk"
    assert not load_from(FakeTelegramServer().state, tmp_path / "missing.pickle")


def test_the_clock_runs_moves_forward_only_and_remembers_how_far(tmp_path: Path) -> None:
    wall = datetime(2026, 11, 2, 1, 0, tzinfo=UTC)
    clock = SandboxClock(tmp_path / "clock.json", wall=lambda: wall)
    clock.advance(timedelta(hours=25))
    assert clock.now() == wall + timedelta(hours=25)
    with pytest.raises(ValueError):
        clock.advance(timedelta(hours=-1))
    again = SandboxClock(tmp_path / "clock.json", wall=lambda: wall)
    assert again.ahead == timedelta(hours=25)
