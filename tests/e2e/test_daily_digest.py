"""The daily digest reaches every staff group at its configured local time, once a day;
a group whose day has nothing to tell (all zeros) gets none."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import update

from bot.app.application import Application
from bot.clock import ManualClock
from bot.config.orgfile import load_organisation
from bot.services.directory import sync_organisation
from fake_telegram import FakeTelegramServer
from scheduler.jobs import send_daily_digests
from storage.models import Ticket, TicketStatus
from storage.statements import counting_statements, statement_scope
from tests.conftest import FIXTURES
from tests.e2e.conftest import GROUPS, AppFactory, org_file_edited
from tests.e2e.residents import settled
from tests.integration.stats_fixtures import World, build_world_in

# 09:00 in Shanghai on 9 November; the digest is due at 10:00 and covers the 8th.
BEFORE_TIME = datetime(2026, 11, 9, 1, 0, tzinfo=UTC)
SUNSHINE_GROUP, PLAZA_GROUP = -1009000000100, -1009000000200
DIGEST_AT_TEN = (
    '[digest]\nenabled = false\ntime = "08:00"',
    '[digest]\nenabled = true\ntime = "10:00"',
)


@pytest.fixture
def org_file(tmp_path: Path) -> Path:
    return org_file_edited(FIXTURES / "organisation.toml", tmp_path, DIGEST_AT_TEN)


@pytest.fixture
async def app(start_app: AppFactory, clock: ManualClock) -> Application:
    """The bot an hour before the digest is due (the ``world`` fixture fills it)."""
    clock.set(BEFORE_TIME)
    return await start_app()


async def _reopened_due_in_half_an_hour(
    app: Application, ticket: Ticket, clock: ManualClock
) -> None:
    """The resolved ``ticket`` re-opened, its resolution due in 30 minutes."""
    async with app.sessionmaker() as session, session.begin():
        await session.execute(
            update(Ticket)
            .where(Ticket.id == ticket.id)
            .values(
                status=TicketStatus.IN_PROGRESS,
                resolved_at=None,
                resolution_due_at=clock.now() + timedelta(minutes=30),
            )
        )


def _run_digest_job_now(app: Application) -> None:
    """Wake the registered scheduler job (it checks every minute of real time)."""
    assert app.scheduler is not None
    app.scheduler.get_job("daily_digest").modify(next_run_time=datetime.now(UTC))


async def test_digest_is_posted_to_each_group_at_its_time_and_only_once(
    app: Application, world: World, telegram: FakeTelegramServer, clock: ManualClock
) -> None:
    assert await send_daily_digests(app) == 0  # 09:00: not yet

    clock.advance(hours=1)  # 10:00 in Shanghai
    mark = telegram.mark()
    _run_digest_job_now(app)
    sent = await telegram.wait_for(
        "sendMessage", lambda c: c.params["chat_id"] in GROUPS, count=3, since=mark
    )
    texts = {call.params["chat_id"]: call.params["text"] for call in sent}
    # The plaza had nothing on the 8th and nothing is overdue there: no digest of zeros.
    assert set(texts) == set(GROUPS) - {PLAZA_GROUP}

    sunshine = texts[SUNSHINE_GROUP]
    assert "每日简报 · 阳光花园" in sunshine and "2026-11-08" in sunshine
    assert "昨日：新建 0 · 解决 0" in sunshine
    assert "<b>当前超时：1</b>" in sunshine
    assert world.tickets["S3"].number in sunshine and "未分配" in sunshine
    # How late, as the escalations say it (to the minute, not "50.5 小时").
    [late] = re.findall(r"已超 ([^）]*)）", sunshine)
    assert re.fullmatch(r"(\d+ 天)?( ?\d+ 小时)?( ?\d+ 分钟)?", late), late
    # S2 was rated 2 on the 8th with a comment; the comment's markup is shown literally.
    assert world.tickets["S2"].number in sunshine and "★★☆☆☆" in sunshine
    assert "too slow &lt;b&gt;really&lt;/b&gt;" in sunshine
    assert world.tickets["S3"].number in texts[-1009000000001]  # HQ sees every project

    # Later the same day, or a second run: nothing twice.
    clock.advance(hours=5)
    assert await send_daily_digests(app) == 0

    # Next morning before the time: nothing; at the time: the next digest.
    clock.set(BEFORE_TIME + timedelta(days=1))
    assert await send_daily_digests(app) == 0
    clock.advance(hours=1)
    mark = telegram.mark()
    assert await send_daily_digests(app) == 3
    next_day = await telegram.wait_for("sendMessage", chat_id=SUNSHINE_GROUP, since=mark)
    assert "2026-11-09" in next_day.params["text"]
    assert "昨日：新建 1" in next_day.params["text"]  # S7 was filed on the 9th
    await settled(app)
    plaza = [m.data.get("text") or "" for m in telegram.messages_in(PLAZA_GROUP)]
    assert not [text for text in plaza if "每日简报" in text]


async def test_digest_off_posts_nothing(start_app: AppFactory, clock: ManualClock) -> None:
    clock.set(BEFORE_TIME + timedelta(hours=5))
    app = await start_app(bot_config=FIXTURES / "organisation.toml")
    assert app.organisation is not None and not app.organisation.digest.enabled
    assert await send_daily_digests(app) == 0


async def test_a_group_found_quiet_is_asked_only_about_overdue_tickets_then_gets_its_digest(
    app: Application, world: World, telegram: FakeTelegramServer, clock: ManualClock
) -> None:
    clock.advance(hours=1)  # 10:00: the plaza had nothing on the 8th
    assert await send_daily_digests(app) == 3
    assert app.sessionmaker is not None
    with counting_statements(app.sessionmaker.kw["bind"]) as counter:
        with statement_scope("digest"):  # not the sender's, meanwhile
            assert await send_daily_digests(app) == 0
    statements = counter.in_scope("digest")
    # The groups, each posted group's digest already queued, and one count for the plaza.
    assert len(statements) == 1 + 3 + 1, "\n".join(statements)
    assert sum("count(*)" in s for s in statements) == 1

    # At 11:00 a plaza ticket re-opened this morning falls overdue: the plaza's digest now.
    ticket = world.tickets["P2"]
    await _reopened_due_in_half_an_hour(app, ticket, clock)
    clock.advance(hours=1)
    mark = telegram.mark()
    assert await send_daily_digests(app) == 1
    late = await telegram.wait_for("sendMessage", chat_id=PLAZA_GROUP, since=mark)
    assert "每日简报" in late.params["text"] and ticket.number in late.params["text"]
    assert await send_daily_digests(app) == 0  # and once only


WEST_GROUP = -1009000000020
WEST_REGION = (
    '[[projects]]\nkey = "sunshine"',
    '[[regions]]\nkey = "west"\nname = "华西区域中心"\ngroup_chat_id = -1009000000020\n\n'
    '[[projects]]\nkey = "sunshine"',
)
PLAZA_TO_WEST = ('name = "星河广场"\nregion = "east"', 'name = "星河广场"\nregion = "west"')


async def test_a_quiet_group_is_asked_about_the_projects_below_it_as_they_stand_now(
    start_app: AppFactory,
    clock: ManualClock,
    telegram: FakeTelegramServer,
    org_file: Path,
    tmp_path: Path,
) -> None:
    """``sync-config``, run beside the live bot, moves the plaza under a new region whose
    group was found quiet this morning (it had no project yet): when a plaza ticket falls
    overdue, that region's group gets its digest too."""
    telegram.add_group(WEST_GROUP, "华西区域中心")
    (tmp_path / "west").mkdir()
    (tmp_path / "moved").mkdir()
    west = org_file_edited(org_file, tmp_path / "west", WEST_REGION)
    clock.set(BEFORE_TIME + timedelta(hours=1))  # 10:00: the west and the plaza are quiet
    app = await start_app(bot_config=west)
    world = await build_world_in(app)
    assert await send_daily_digests(app) == 3

    moved = load_organisation(org_file_edited(west, tmp_path / "moved", PLAZA_TO_WEST))
    async with app.sessionmaker() as session, session.begin():
        await sync_organisation(session, moved, clock.now())  # what sync-config does
    ticket = world.tickets["P2"]
    await _reopened_due_in_half_an_hour(app, ticket, clock)
    clock.advance(hours=1)  # 11:00: overdue, in the plaza and now in the west
    mark = telegram.mark()
    assert await send_daily_digests(app) == 2
    late = await telegram.wait_for("sendMessage", chat_id=WEST_GROUP, since=mark)
    assert "每日简报 · 华西区域中心" in late.params["text"]
    assert ticket.number in late.params["text"]
