"""End-to-end harness: the real Application against the fake Telegram Bot API.

Tests act as residents, staff and managers through ``FakeTelegramServer`` and
read what the bot did from the calls it made. Time is a ``ManualClock``; the
background loops poll every few milliseconds so tests never sleep long.

After every test, its database (the SQLite files once the bots have stopped; every text
column on PostgreSQL, before the next test empties the tables), its bots' log files and
the log records of the test are searched for the phone numbers it used (contacts shared
through the fake Bot API, numbers stored in the encrypted column): one found in clear
fails the test, naming where (``nothing_in_clear_at_rest``).
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from bot.app.application import Application
from bot.app.logging_setup import apply_logger_levels
from bot.clock import ManualClock
from bot.config.settings import Settings
from fake_telegram import FakeTelegramServer, FakeUser
from storage.crypto import EncryptedText
from tests.conftest import TEST_ENCRYPTION_KEY
from tests.db import ON_POSTGRES, TestDatabase
from tests.e2e import at_rest, staff_helpers
from tests.e2e.chat import ResidentChat, StaffChat
from tests.e2e.outages import DatabaseOutage
from tests.e2e.residents import say as say  # tests import it from here too
from tests.integration.stats_fixtures import World, build_world_in

TOKEN = "123456:TEST-TOKEN-abcdefghijklmnopqrstuvwxyz"
GROUPS = {
    -1009000000001: "总部工作群",
    -1009000000010: "华东区域中心",
    -1009000000100: "阳光花园项目部",
    -1009000000200: "星河广场项目部",
}


@dataclass
class AtRest:
    """What one test used and left: the phone numbers, its database, its log lines."""

    phones: set[str] = field(default_factory=set)
    database_url: str | None = None
    log_lines: list[str] = field(default_factory=list)


class _LogLines(logging.Handler):
    """Every record that reaches the root logger, as text (message and traceback)."""

    def __init__(self, lines: list[str]) -> None:
        super().__init__(logging.NOTSET)
        self.lines = lines
        self.setFormatter(logging.Formatter("%(name)s: %(message)s"))

    def emit(self, record: logging.LogRecord) -> None:
        try:
            self.lines.append(self.format(record))
        except Exception:  # a record that cannot be formatted is not ours to fail on
            pass


@pytest.fixture(autouse=True)
async def nothing_in_clear_at_rest(
    request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> AsyncIterator[AtRest]:
    """Once the test is over (its bots stopped), no phone number it used is in clear in
    its database, its bots' ``*.log`` files or its log records. The fake Bot API's own
    records (what residents saw) are not the bot's storage and are not searched."""
    used = AtRest()
    share_contact = FakeTelegramServer.send_contact
    encrypt = EncryptedText.process_bind_param

    def send_contact(server: FakeTelegramServer, user: FakeUser, phone_number: str, *a, **k):
        used.phones.add(phone_number)
        return share_contact(server, user, phone_number, *a, **k)

    def process_bind_param(column: EncryptedText, value: str | None, dialect: Any) -> Any:
        if value is not None:
            used.phones.add(value)
        return encrypt(column, value, dialect)

    monkeypatch.setattr(FakeTelegramServer, "send_contact", send_contact)
    monkeypatch.setattr(EncryptedText, "process_bind_param", process_bind_param)
    handler = _LogLines(used.log_lines)
    logging.getLogger().addHandler(handler)
    try:
        yield used
    finally:
        logging.getLogger().removeHandler(handler)
    phones = {digits for p in used.phones if (digits := at_rest.phone_digits(p))}
    if not phones:
        return
    found = []
    if used.database_url is not None:
        if ON_POSTGRES:
            found += await at_rest.found_in_postgres(used.database_url, phones)
        else:
            found += at_rest.found_in_files(at_rest.sqlite_files(used.database_url), phones)
    found += at_rest.found_in_files(sorted(tmp_path.glob("*.log")), phones)
    found += [
        f"a log record: {n}" for n in at_rest.found_in_text("\n".join(used.log_lines), phones)
    ]
    if found:
        pytest.fail(
            f"{request.node.nodeid} left phone numbers in clear: {'; '.join(found)}",
            pytrace=False,
        )


@pytest.fixture
def database_url(
    test_database: TestDatabase, tmp_path: Path, nothing_in_clear_at_rest: AtRest
) -> str:
    """The test's empty database (as everywhere), searched once the test is over."""
    url = test_database.fresh_url(tmp_path)
    nothing_in_clear_at_rest.database_url = url
    return url


@pytest.fixture
async def telegram() -> AsyncIterator[FakeTelegramServer]:
    server = FakeTelegramServer(token=TOKEN, bot_id=123456, bot_username="resident_test_bot")
    await server.start()
    for chat_id, title in GROUPS.items():
        server.add_group(chat_id, title)
    yield server
    await server.stop()


@pytest.fixture
def settings(database_url: str, telegram: FakeTelegramServer, org_file: Path) -> Settings:
    return Settings(
        _env_file=None,
        bot_token=TOKEN,
        database_url=database_url,
        telegram_api_url=telegram.base_url,
        bot_config=org_file,
        polling_timeout=2,
        request_timeout=5,
        worker_poll_interval=0.02,
        outbox_poll_interval=0.02,
        update_lock_seconds=30,
        data_encryption_key=TEST_ENCRYPTION_KEY,
        stats_warm_up=False,  # tests/e2e/test_manager_stats.py turns it on
    )


AppFactory = Callable[..., Awaitable[Application]]


def org_file_with(org_file: Path, tmp_path: Path, residents_setting: str) -> Path:
    """A copy of the organisation file with one more ``[residents]`` setting."""
    changed = tmp_path / "organisation.toml"
    changed.write_text(
        org_file.read_text(encoding="utf-8") + f"\n[residents]\n{residents_setting}\n",
        encoding="utf-8",
    )
    return changed


def org_file_edited(org_file: Path, tmp_path: Path, *replacements: tuple[str, str]) -> Path:
    """A copy of the organisation file with each ``(old, new)`` done once (``old`` must
    be there, so that a changed fixture cannot leave the edit silently undone)."""
    text = org_file.read_text(encoding="utf-8")
    for old, new in replacements:
        assert old in text, old
        text = text.replace(old, new, 1)
    edited = tmp_path / "organisation.toml"
    edited.write_text(text, encoding="utf-8")
    return edited


@pytest.fixture
async def start_app(settings: Settings, clock: ManualClock) -> AsyncIterator[AppFactory]:
    """Start an Application (more than one for restart tests); all are stopped at the end."""
    started: list[Application] = []

    async def start(**overrides: Any) -> Application:
        app = Application(settings.model_copy(update=overrides), clock=clock)
        started.append(app)
        await app.start()
        return app

    yield start
    for app in reversed(started):
        await app.stop()


@pytest.fixture
async def app(start_app: AppFactory) -> Application:
    return await start_app()


@pytest.fixture
async def world(app: Application) -> World:
    """The hand-computed statistics world of tests/integration/stats_fixtures.py, in ``app``."""
    return await build_world_in(app)


@pytest.fixture
async def outage(database_url: str) -> AsyncIterator[DatabaseOutage]:
    """The test's database, ready to be taken away from the bot (``outage.url`` is what
    the bot must be given) and back; given back at the end."""
    outage = DatabaseOutage(database_url)
    await outage.prepare()
    yield outage
    await outage.close()


@pytest.fixture
def debug_logs(caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    """Every record from here on, with the bot's loggers at DEBUG (what
    `LOG_LEVEL=DEBUG resident-bot run` configures): for tests that look for leaks."""
    caplog.set_level(logging.DEBUG)
    apply_logger_levels("DEBUG")
    return caplog


@pytest.fixture
def resident_zh(telegram: FakeTelegramServer) -> FakeUser:
    return telegram.user(id=7001, first_name="小明", language_code="zh-hans")


@pytest.fixture
def resident_en(telegram: FakeTelegramServer) -> FakeUser:
    return telegram.user(id=7002, first_name="Alice", language_code="en")


@pytest.fixture
def alice(app: Application, telegram: FakeTelegramServer, resident_en: FakeUser) -> ResidentChat:
    """An English-speaking resident's chat with the running bot."""
    return ResidentChat(app, telegram, resident_en, name="Alice")


@pytest.fixture
def xiaoming(app: Application, telegram: FakeTelegramServer, resident_zh: FakeUser) -> ResidentChat:
    """A Chinese-speaking resident's chat with the running bot."""
    return ResidentChat(app, telegram, resident_zh, name="张小明")


@pytest.fixture
def bob(app: Application, telegram: FakeTelegramServer) -> ResidentChat:
    """Alice's English-speaking neighbour."""
    bob = telegram.user(id=7011, first_name="Bob", language_code="en")
    return ResidentChat(app, telegram, bob, name="Bob")


@pytest.fixture
def agent(app: Application, telegram: FakeTelegramServer) -> StaffChat:
    """王芳, an agent of the sunshine project, in its staff group."""
    return StaffChat(app, telegram, staff_helpers.staff_user(telegram, staff_helpers.AGENT))


@pytest.fixture
def manager(app: Application, telegram: FakeTelegramServer) -> StaffChat:
    """李强, the sunshine project's manager, in its staff group."""
    return StaffChat(app, telegram, staff_helpers.staff_user(telegram, staff_helpers.MANAGER))
