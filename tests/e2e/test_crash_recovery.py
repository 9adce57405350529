"""The bot process is killed (SIGKILL) mid-conversation and mid-update; nothing is lost.

These run the real ``resident-bot run`` command in a subprocess against the fake
Bot API served by the test, so the kill is a real crash: no shutdown code runs.
"""

from __future__ import annotations

import asyncio
import signal
import subprocess
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest
from sqlalchemy import select

from fake_telegram import FakeTelegramServer, FakeUser
from fake_telegram.models import ApiCall
from storage.models import FsmRecord, InboundStatus, InboundUpdate, Person
from tests.conftest import eventually
from tests.db import read_all
from tests.e2e.bot_subprocess import bot_env, bot_processes
from tests.e2e.conftest import say

# How long a step of a real bot process may take: a fresh process on a slow, busy machine
# (CI's new virtual environment compiles its bytecode; the warm-up thread loads the chart
# library and the word segmenter) can take far longer than usual. A bound, not a wait.
PROCESS_STEP = 60.0


@pytest.fixture
async def bot_process(
    database_url: str, telegram: FakeTelegramServer, org_file: Path, tmp_path: Path
) -> AsyncIterator[Callable[[], subprocess.Popen]]:
    env = bot_env(database_url, telegram, org_file, UPDATE_LOCK_SECONDS="1")
    with bot_processes(tmp_path) as start_bot:
        started = 0

        def start() -> subprocess.Popen:
            nonlocal started
            log = tmp_path / f"bot{started}.log"
            started += 1
            return start_bot(env, log)

        yield start


async def handled_count(database_url: str, expected: int) -> None:
    done = select(InboundUpdate).where(InboundUpdate.status == InboundStatus.DONE)
    await eventually(lambda: _has(database_url, done, expected), timeout=PROCESS_STEP)


async def _has(database_url: str, query, expected: int) -> bool:
    return len(await read_all(database_url, query)) == expected


async def wait_until_polling(telegram: FakeTelegramServer, since: int) -> None:
    await telegram.wait_for("getUpdates", since=since, timeout=PROCESS_STEP)


async def asked_for_a_language(
    bot_process, telegram: FakeTelegramServer, database_url: str, resident: FakeUser
) -> tuple[subprocess.Popen, ApiCall]:
    """Start the bot; the resident sends /language: the process and the bot's question
    (handled and committed)."""
    process = bot_process()
    await wait_until_polling(telegram, 0)
    asked = await say(telegram, resident, "/language", timeout=PROCESS_STEP)
    await handled_count(database_url, 1)
    return process, asked


async def killed_while_sending(
    process: subprocess.Popen,
    telegram: FakeTelegramServer,
    resident: FakeUser,
    text: str,
    method: str,
) -> None:
    """The resident sends ``text``; the bot's ``method`` call in answer hangs (Telegram
    never gets it) and the process is killed then: after the update's commit, before its
    reply went out."""
    telegram.delay_next(method, 60, chat_id=resident.id, apply=False)
    mark = telegram.mark()
    telegram.send_text(resident, text)
    await telegram.wait_for(method, chat_id=resident.id, since=mark, timeout=PROCESS_STEP)
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=10)


async def test_conversation_survives_a_crash_between_steps(
    bot_process, telegram: FakeTelegramServer, database_url: str
) -> None:
    resident: FakeUser = telegram.user(id=7101, first_name="小红", language_code="zh-hans")
    first, asked = await asked_for_a_language(bot_process, telegram, database_url, resident)
    assert asked.params["text"] == "请选择语言："
    # The step is committed; the process dies before the next.
    first.send_signal(signal.SIGKILL)
    first.wait(timeout=10)

    mark = telegram.mark()
    bot_process()
    await wait_until_polling(telegram, mark)
    reply = await say(telegram, resident, "English", timeout=PROCESS_STEP)
    assert reply.params["text"] == "Language set to English."


async def test_reply_owed_when_the_process_dies_after_the_commit_is_sent_once_after_restart(
    bot_process, telegram: FakeTelegramServer, database_url: str
) -> None:
    """Killed between the commit and the send: the change is stored, the update is not
    handled again, and its reply is sent once after the restart."""
    resident: FakeUser = telegram.user(id=7102, first_name="Bob", language_code="en")
    first, _ = await asked_for_a_language(bot_process, telegram, database_url, resident)

    await killed_while_sending(first, telegram, resident, "English", "sendMessage")

    people = await read_all(database_url, select(Person).where(Person.telegram_id == resident.id))
    assert [p.language for p in people] == ["en"]  # committed before anything was sent
    owing = await read_all(
        database_url,
        select(InboundUpdate).where(InboundUpdate.status == InboundStatus.REPLYING),
    )
    assert len(owing) == 1  # the reply is kept with the update

    telegram.clear_faults()
    mark = telegram.mark()
    bot_process()
    reply = await telegram.wait_for(
        "sendMessage", chat_id=resident.id, since=mark, timeout=PROCESS_STEP
    )
    assert reply.params["text"] == "Language set to English."
    await handled_count(database_url, 2)  # "/language" and "English", each handled once

    people = await read_all(database_url, select(Person).where(Person.telegram_id == resident.id))
    assert [p.language for p in people] == ["en"]
    states = await read_all(database_url, select(FsmRecord.state))
    assert states == [None]  # the conversation finished exactly once
    rows = await read_all(database_url, select(InboundUpdate))
    assert [r.attempts for r in rows] == [0, 0]  # neither handled again
    # A marker: once its answer is out, any duplicate of the earlier reply would be too.
    marker = await say(telegram, resident, "/help", timeout=PROCESS_STEP)
    replies = [
        c
        for c in telegram.calls_of("sendMessage", chat_id=resident.id)
        if mark <= c.seq < marker.seq
    ]
    assert [c.params["text"] for c in replies] == ["Language set to English."]


async def test_a_file_owed_when_the_process_dies_after_the_commit_becomes_an_apology(
    bot_process, telegram: FakeTelegramServer, database_url: str
) -> None:
    """A file's bytes are not kept with the update: after the restart the resident is
    told to ask for their data copy again, rather than hearing nothing."""
    resident: FakeUser = telegram.user(id=7103, first_name="Carol", language_code="en")
    first, _ = await asked_for_a_language(bot_process, telegram, database_url, resident)
    await say(telegram, resident, "English", timeout=PROCESS_STEP)
    await handled_count(database_url, 2)  # its reply's mark is written

    await killed_while_sending(first, telegram, resident, "/mydata", "sendDocument")

    telegram.clear_faults()
    mark = telegram.mark()
    bot_process()
    told = await telegram.wait_for(
        "sendMessage", chat_id=resident.id, since=mark, timeout=PROCESS_STEP
    )
    assert told.params["text"] == "The file could not be sent just now. Please ask for it again."
    await handled_count(database_url, 3)  # /language, English, /mydata: each once
    assert [c for c in telegram.calls_of("sendDocument") if c.seq >= mark] == []


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
async def test_sigterm_and_sigint_stop_cleanly_with_exit_code_0(
    bot_process, telegram: FakeTelegramServer, signum: signal.Signals
) -> None:
    process = bot_process()
    await wait_until_polling(telegram, 0)
    process.send_signal(signum)
    loop = asyncio.get_running_loop()
    code = await loop.run_in_executor(None, process.wait, 30)
    assert code == 0
