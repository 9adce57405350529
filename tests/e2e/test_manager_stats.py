"""Managers ask for statistics and exports in private chat, in Chinese and English.

The data is the hand-computed world of tests/integration/stats_fixtures.py, so the
numbers the bot sends can be checked exactly.
"""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import pytest
from openpyxl import load_workbook
from sqlalchemy import event, select

from bot.app.application import Application
from bot.clock import ManualClock
from fake_telegram import FakeTelegramServer, FakeUser
from fake_telegram.errors import ApiError, too_many_requests
from fake_telegram.media import image_size
from fake_telegram.models import ApiCall, UploadedFile
from storage.models import AuditEntry
from tests.conftest import eventually
from tests.e2e.conftest import AppFactory, org_file_edited, say
from tests.integration.stats_fixtures import NOW, World, build_world_in


@pytest.fixture
async def app(start_app: AppFactory, clock: ManualClock) -> Application:
    """The bot at the world's "now" (the ``world`` fixture fills it)."""
    clock.set(NOW)
    return await start_app()


async def exported(
    telegram: FakeTelegramServer, user: FakeUser, command: str
) -> tuple[ApiCall, UploadedFile]:
    """Send an /export command: the bot's sendDocument call and the file it uploaded."""
    mark = telegram.mark()
    telegram.send_text(user, command)
    document = await telegram.wait_for("sendDocument", chat_id=user.id, since=mark)
    upload = document.upload("document")
    assert upload is not None
    return document, upload


async def _audit(app: Application, action: str, count: int) -> list[AuditEntry]:
    """The audit rows of ``action`` once ``count`` are committed (the reply can arrive
    before the update's transaction has committed)."""
    assert app.sessionmaker is not None

    async def rows() -> list[AuditEntry] | None:
        async with app.sessionmaker() as session:
            found = list(
                (
                    await session.scalars(
                        select(AuditEntry)
                        .where(AuditEntry.action == action)
                        .order_by(AuditEntry.id)
                    )
                ).all()
            )
        return found if len(found) >= count else None

    return await eventually(rows)


async def test_project_manager_gets_their_project_in_english_text_only(
    app: Application, world: World, telegram: FakeTelegramServer
) -> None:
    manager = telegram.user(id=5002, first_name="Li", language_code="en")
    mark = telegram.mark()
    reply = await say(telegram, manager, "/stats 7d text")
    text = reply.params["text"]
    assert "Statistics · 阳光花园" in text
    assert "Opened 6 · resolved 3 · open now 3 · overdue now 1" in text
    assert "Response on time: 50% (2 of 4)" in text
    assert "<b>Projects</b>" not in text  # one project: no project table
    assert "王芳: resolved 3 (33% on time) · first response 1 h · CSAT 67%" in text
    # Updates of one chat are handled in order: once the next answer is there, the
    # first command has finished, without a chart.
    await say(telegram, manager, "/stats today text")
    assert [c for c in telegram.calls_of("sendPhoto") if c.seq >= mark] == []


async def test_hq_admin_gets_everything_in_chinese_with_a_chart(
    app: Application, world: World, telegram: FakeTelegramServer
) -> None:
    admin = telegram.user(id=5100, first_name="赵敏", language_code="zh-hans")
    mark = telegram.mark()
    text = (await say(telegram, admin, "/stats 7d")).params["text"]
    assert "统计 · 总部" in text
    assert "新建 8 · 解决 5 · 当前未结 3 · 当前超时 1" in text
    assert "<b>各项目</b>" in text and "星河广场" in text
    assert "NPS：+40（5 份答卷）" in text
    assert re.search(r"首次响应：中位数 .+ · 第 90 百分位 .+（共 \d+ 件）", text)  # not "n="
    photo = await telegram.wait_for("sendPhoto", chat_id=admin.id, since=mark)
    upload = photo.upload("photo")
    assert upload is not None and upload.data.startswith(b"\x89PNG")
    assert image_size(upload.data) == (900, 600)
    assert "2026-11-04 – 2026-11-10" in photo.params["caption"]


async def test_regional_manager_may_look_at_a_project_of_the_region(
    app: Application, world: World, telegram: FakeTelegramServer
) -> None:
    regional = telegram.user(id=5010, first_name="Chen", language_code="en")
    own = (await say(telegram, regional, "/stats 7d text")).params["text"]
    assert "Statistics · 华东区域中心" in own and "<b>Projects</b>" in own
    project = (await say(telegram, regional, "/stats plaza 7d text")).params["text"]
    assert "Statistics · 星河广场" in project
    assert "Opened 2 · resolved 2 · open now 0" in project


async def test_scopes_beyond_ones_own_are_refused_and_audited(
    app: Application, world: World, telegram: FakeTelegramServer
) -> None:
    manager = telegram.user(id=5002, first_name="Li", language_code="en")
    refused = (await say(telegram, manager, "/stats 7d plaza")).params["text"]
    assert refused == "You can only see statistics of your own units: sunshine."
    regional = telegram.user(id=5010, first_name="陈静", language_code="zh-hans")
    refused_zh = (await say(telegram, regional, "/stats hq")).params["text"]
    assert refused_zh == "您只能查看自己所辖单位的统计：east。"
    export_refused = (await say(telegram, manager, "/export east")).params["text"]
    assert export_refused.startswith("You can only see statistics")
    view = await _audit(app, "stats.view", 2)
    export = await _audit(app, "stats.export", 1)
    assert [(e.actor_telegram_id, e.outcome, e.data) for e in view] == [
        (5002, "refused", {"requested": "plaza"}),
        (5010, "refused", {"requested": "hq"}),
    ]
    assert [(e.actor_telegram_id, e.outcome) for e in export] == [(5002, "refused")]


async def test_non_managers_are_refused(
    app: Application, world: World, telegram: FakeTelegramServer
) -> None:
    agent = telegram.user(id=5001, first_name="王芳", language_code="zh-hans")
    assert (await say(telegram, agent, "/stats")).params["text"] == "统计数据仅供管理人员查看。"
    resident = telegram.user(id=7001, first_name="Ming", language_code="en")
    assert (await say(telegram, resident, "/export csv")).params[
        "text"
    ] == "Statistics are for managers only."
    refusals = await _audit(app, "stats.view", 1) + await _audit(app, "stats.export", 1)
    assert sorted((e.actor_telegram_id, e.reason) for e in refusals) == [
        (5001, "not a manager"),
        (7001, "not a manager"),
    ]


async def test_bad_arguments_get_the_usage(
    app: Application, world: World, telegram: FakeTelegramServer
) -> None:
    admin = telegram.user(id=5100, first_name="Zhao", language_code="en")
    unknown = (await say(telegram, admin, "/stats nowhere")).params["text"]
    assert unknown == "There is no project or region “nowhere”."
    bad = (await say(telegram, admin, "/stats 2026-13")).params["text"]
    assert bad.startswith("I don't understand “2026-13”.") and "Usage: /stats" in bad


async def test_xlsx_export_holds_the_tickets_and_the_kpis(
    app: Application, world: World, telegram: FakeTelegramServer
) -> None:
    admin = telegram.user(id=5100, first_name="Zhao", language_code="en")
    document, upload = await exported(telegram, admin, "/export 7d")
    assert upload.filename == "tickets-hq-2026-11-04-2026-11-10.xlsx"
    assert "8 tickets opened in 2026-11-04 – 2026-11-10" in document.params["caption"]
    book = load_workbook(io.BytesIO(upload.data))
    assert book.sheetnames == ["Summary", "Tickets", "Suggestions", "Projects", "Staff"]
    summary = {row[0]: row[1] for row in book["Summary"].iter_rows(min_row=2, values_only=True)}
    assert summary["Opened"] == 8 and summary["Resolved"] == 5
    assert summary["Response on time (%)"] == 66.7
    assert summary["CSAT (%)"] == 40.0 and summary["NPS"] == 40.0
    tickets = list(book["Tickets"].iter_rows(values_only=True))
    header, rows = tickets[0], tickets[1:]
    by_number = {row[0]: dict(zip(header, row, strict=True)) for row in rows}
    assert set(by_number) == {
        world.tickets[n].number for n in world.tickets if n not in ("S0", "S5")
    }
    s2 = by_number[world.tickets["S2"].number]
    assert s2["First response (hours)"] == 29.0
    assert s2["Response on time"] == "no" and s2["Resolved on time"] == "no"
    assert s2["Rating (mean)"] == 2 and s2["Comment"] == "too slow <b>really</b>"
    assert s2["Re-opened"] == 1 and s2["Unit"] == "1-101"
    s1 = by_number[world.tickets["S1"].number]
    assert s1["Rating (mean)"] == 4.5 and s1["Ratings"] == 2
    assert s1["Created"].isoformat() == "2026-11-05T10:00:00"  # Shanghai time
    s7 = by_number[world.tickets["S7"].number]
    assert s7["Response on time"] is None  # deadline not reached yet
    exports = await _audit(app, "stats.export", 1)
    assert [(e.outcome, e.data["tickets"], e.data["format"]) for e in exports] == [
        ("allowed", 8, "xlsx")
    ]


async def test_csv_export_of_a_project_in_chinese(
    app: Application, world: World, telegram: FakeTelegramServer
) -> None:
    manager = telegram.user(id=5002, first_name="李强", language_code="zh-hans")
    _, upload = await exported(telegram, manager, "/export csv 7d")
    assert upload.filename.endswith(".csv")
    rows = list(csv.DictReader(io.StringIO(upload.data.decode("utf-8-sig"))))
    assert len(rows) == 6
    assert {row["项目"] for row in rows} == {"阳光花园"}
    s3 = next(row for row in rows if row["编号"] == world.tickets["S3"].number)
    assert (s3["状态"], s3["按时响应"], s3["按时解决"]) == ("待处理", "否", "否")
    assert s3["创建时间"] == "2026-11-05 12:00"


async def test_periods_are_understood_as_people_say_them(
    app: Application, world: World, telegram: FakeTelegramServer
) -> None:
    manager = telegram.user(id=5002, first_name="Li", language_code="en")
    text = (await say(telegram, manager, "/stats last week text")).params["text"]
    assert "Period: 2026-11-02 – 2026-11-08 (Beijing time)" in text
    manager_zh = telegram.user(id=5002, first_name="Li", language_code="zh-hans")
    chinese = (await say(telegram, manager_zh, "/stats 本周 text")).params["text"]
    assert "2026-11-09 – 2026-11-10" in chinese and "北京时间" in chinese


async def test_english_readers_see_the_english_name_of_the_project(
    start_app: AppFactory,
    clock: ManualClock,
    org_file: Path,
    tmp_path: Path,
    telegram: FakeTelegramServer,
) -> None:
    project = 'name = "阳光花园"\n'
    named = org_file_edited(
        org_file, tmp_path, (project, project + 'name_en = "Sunshine Garden"\n')
    )
    clock.set(NOW)
    app = await start_app(bot_config=named)
    await build_world_in(app)
    manager = telegram.user(id=5002, first_name="Li", language_code="en")
    english = (await say(telegram, manager, "/stats 7d text")).params["text"]
    assert "Statistics · Sunshine Garden" in english
    manager_zh = telegram.user(id=5002, first_name="Li", language_code="zh-hans")
    chinese = (await say(telegram, manager_zh, "/stats 7d text")).params["text"]
    assert "统计 · 阳光花园" in chinese


async def test_a_chart_and_an_export_refused_for_now_by_telegram_still_arrive(
    app: Application, world: World, telegram: FakeTelegramServer
) -> None:
    """A file's bytes cannot wait in the outbox: a 5xx or a short 429 is waited out and
    the upload made again."""
    admin = telegram.user(id=5100, first_name="Zhao", language_code="en")
    telegram.fail_next("sendPhoto", ApiError(502, "Bad Gateway"), chat_id=admin.id)
    mark = telegram.mark()
    await say(telegram, admin, "/stats 7d")
    photo = await telegram.wait_for(
        "sendPhoto", lambda c: c.fault is None, chat_id=admin.id, since=mark, timeout=10
    )
    assert (upload := photo.upload("photo")) is not None and upload.data.startswith(b"\x89PNG")
    assert [c.fault is None for c in telegram.calls_of("sendPhoto") if c.seq >= mark] == [
        False,
        True,
    ]

    telegram.fail_next("sendDocument", too_many_requests(1), chat_id=admin.id)
    mark = telegram.mark()
    telegram.send_text(admin, "/export csv 7d")
    document = await telegram.wait_for(
        "sendDocument", lambda c: c.fault is None, chat_id=admin.id, since=mark, timeout=10
    )
    assert document.upload("document") is not None
    told = [c.params["text"] for c in telegram.calls_of("sendMessage", chat_id=admin.id)]
    assert not any("could not be" in text for text in told)


@pytest.mark.parametrize(
    ("language", "told"),
    [
        ("en", "The file could not be sent just now. Please ask for it again."),
        ("zh-hans", "文件暂时未能发送，请稍后再次请求。"),
    ],
)
async def test_when_telegram_keeps_refusing_the_chart_the_manager_is_told(
    app: Application, world: World, telegram: FakeTelegramServer, language: str, told: str
) -> None:
    admin = telegram.user(id=5100, first_name="Zhao", language_code=language)
    telegram.fail_next("sendPhoto", ApiError(502, "Bad Gateway"), times=3, chat_id=admin.id)
    mark = telegram.mark()
    await say(telegram, admin, "/stats 7d")
    apology = await telegram.wait_for(
        "sendMessage", lambda c: c.params["text"] == told, chat_id=admin.id, since=mark, timeout=15
    )
    assert apology.fault is None
    assert [c.fault is None for c in telegram.calls_of("sendPhoto") if c.seq >= mark] == [False] * 3


async def test_the_first_stats_of_a_process_compiles_none_of_the_reports_big_statements(
    start_app: AppFactory, clock: ManualClock, world: World, telegram: FakeTelegramServer
) -> None:
    """``STATS_WARM_UP`` (on in production): the app builds a report over a day long past
    at start, so the first /stats finds its cohort and percentile statements compiled
    (each held other updates up for tens of milliseconds on a first report)."""
    clock.set(NOW)
    app = await start_app(stats_warm_up=True)
    await eventually(lambda: app.statistics_prepared)
    engine = app.sessionmaker.kw["bind"].sync_engine
    compiled: list[str] = []

    def note(_conn, _cursor, statement, _params, context, _many) -> None:
        if context.cache_hit is context.dialect.CACHE_MISS:
            compiled.append(statement)

    event.listen(engine, "after_cursor_execute", note)
    try:
        admin = telegram.user(id=5100, first_name="Zhao", language_code="en")
        mark = telegram.mark()
        text = (await say(telegram, admin, "/stats 7d")).params["text"]
        await telegram.wait_for("sendPhoto", chat_id=admin.id, since=mark)
    finally:
        event.remove(engine, "after_cursor_execute", note)
    assert "Opened 8 · resolved 5 · open now 3 · overdue now 1" in text
    assert [statement for statement in compiled if statement.startswith("WITH")] == []
