"""Every metric of the manager statistics on a hand-computed fixture (see stats_fixtures).

The expected numbers are worked out by hand in docs/metrics.md; the same queries
run on SQLite and PostgreSQL (TEST_POSTGRES_URL).
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from bot.config.orgfile import load_organisation
from bot.presentation.stats.texts import render_report
from bot.services.stats import satisfaction as sat
from bot.services.stats import tickets
from bot.services.stats.figures import Compliance, EscalationCount, RepeatComplaint
from bot.services.stats.periods import parse_period
from bot.services.stats.report import build_report
from bot.services.stats.scope import scope_of_unit
from storage.models import OrgUnit, Ticket, TicketKind, TicketStatus
from storage.read_only import read_only_sessions
from tests.integration.stats_fixtures import NOW

HOUR = 3600.0


@pytest.fixture
def period(org_file):
    return parse_period("7d", NOW, load_organisation(org_file).zone())


async def _scope(session, key: str):
    unit = await session.scalar(select(OrgUnit).where(OrgUnit.key == key))
    return await scope_of_unit(session, unit)


async def _report(sessionmaker, key: str, period, **options):
    async with sessionmaker() as session:
        return await build_report(session, await _scope(session, key), period, NOW, **options)


async def test_counts_opened_resolved_and_open_now_by_kind_and_category(
    sessionmaker, world, period
) -> None:
    report = await _report(sessionmaker, "hq", period)
    assert (report.totals.opened, report.totals.resolved, report.totals.open_now) == (8, 5, 3)
    assert {k: v.opened for k, v in report.by_kind.items() if v.opened} == {
        "repair": 4,
        "complaint": 3,
        "inquiry": 1,
    }
    assert {k: v.resolved for k, v in report.by_kind.items() if v.resolved} == {
        "repair": 3,
        "complaint": 2,
    }
    assert {k: v.open_now for k, v in report.by_kind.items() if v.open_now} == {
        "repair": 2,
        "inquiry": 1,
    }
    assert {k: v.opened for k, v in report.by_category.items() if v.opened} == {
        "water": 3,
        "lift": 2,
        "noise": 2,
        None: 1,
    }
    assert report.top_categories == [("water", 3), ("lift", 2), ("noise", 2), (None, 1)]


async def test_overdue_now_counts_only_deadlines_running_against_staff(
    sessionmaker, world, period
) -> None:
    report = await _report(sessionmaker, "hq", period)
    # S3 is unanswered past its deadline; S4 waits on the resident since before its
    # resolution deadline; S7's deadlines are ahead.
    assert report.totals.overdue_now == 1
    async with sessionmaker() as session:
        total, listed = await tickets.overdue_tickets(session, await _scope(session, "hq"), NOW)
    assert total == 1
    assert [(t.number, t.ladder) for t in listed] == [(world.tickets["S3"].number, "response")]


async def test_compliance_counts_targets_met_or_passed_of_tickets_opened(
    sessionmaker, world, period
) -> None:
    report = await _report(sessionmaker, "hq", period)
    # Response: met S1 S4 P1 P2; missed S2 (late) S3 (unanswered); S7 pending; S6 cancelled.
    assert report.totals.response == Compliance(met=4, missed=2)
    assert report.totals.response.rate == pytest.approx(200 / 3)
    # Resolution: met S1 P1; missed S2 P2 (late) S3 (passed); S4 paused, S7 pending.
    assert report.totals.resolution == Compliance(met=2, missed=3)
    assert report.totals.resolution.rate == pytest.approx(40.0)


async def test_first_response_and_resolution_time_median_and_p90(
    sessionmaker, world, period
) -> None:
    report = await _report(sessionmaker, "hq", period)
    # First responses in the period: 0.5 h, 1 h, 1 h, 1 h, 29 h.
    assert report.first_response.count == 5
    assert report.first_response.median == pytest.approx(1 * HOUR)
    assert report.first_response.p90 == pytest.approx(17.8 * HOUR)  # 1 h + 0.6 × 28 h
    # Resolutions in the period: 10 h, 15 h, 54 h, 59 h, 101 h.
    assert report.resolution_time.count == 5
    assert report.resolution_time.median == pytest.approx(54 * HOUR)
    assert report.resolution_time.p90 == pytest.approx(84.2 * HOUR)  # 59 h + 0.6 × 42 h


async def test_percentiles_of_an_even_count_interpolate(sessionmaker, world, period) -> None:
    async with sessionmaker() as session:
        plaza = await _scope(session, "plaza")
        times = await tickets.first_response_times(session, plaza, period)
        resolutions = await tickets.resolution_times(session, plaza, period)
    assert times["all"][None].median == pytest.approx(1 * HOUR)
    # Plaza resolutions: 15 h and 54 h → median 34.5 h, p90 = 15 + 0.9 × 39 = 50.1 h.
    assert resolutions.median == pytest.approx(34.5 * HOUR)
    assert resolutions.p90 == pytest.approx(50.1 * HOUR)


async def test_escalations_by_ladder_and_level(sessionmaker, world, period, org_file) -> None:
    report = await _report(sessionmaker, "hq", period)
    assert report.escalations == [
        EscalationCount("response", 1, 2),
        EscalationCount("response", 2, 1),
        EscalationCount("resolution", 1, 1),
    ]
    # Listed as each language lists things.
    org = load_organisation(org_file)
    english = "\n".join(render_report(report, org, "en"))
    assert "Escalations: response L1 ×2, response L2 ×1, resolution L1 ×1" in english
    chinese = "\n".join(render_report(report, org, "zh_CN"))
    assert "升级：响应第 1 级 ×2、响应第 2 级 ×1、解决第 1 级 ×1" in chinese


async def test_reopen_rate_of_tickets_opened_and_resolved(sessionmaker, world, period) -> None:
    report = await _report(sessionmaker, "hq", period)
    assert (report.totals.reopened, report.totals.ever_resolved) == (1, 4)
    assert report.totals.reopen_rate == pytest.approx(25.0)


async def test_csat_nps_and_response_rate(sessionmaker, world, period) -> None:
    report = await _report(sessionmaker, "hq", period)
    # Ratings in the period: 5, 4, 2, 3, 1.
    assert report.satisfaction.ratings == 5
    assert report.satisfaction.csat == pytest.approx(40.0)
    assert report.satisfaction.mean == pytest.approx(3.0)
    # NPS answers 10, 9, 9, 7, 3: 3 promoters, 1 detractor of 5.
    assert (report.nps.responses, report.nps.promoters, report.nps.detractors) == (5, 3, 1)
    assert report.nps.score == pytest.approx(40.0)
    # After tickets: 6 sent in the period, 5 answered (not S5).
    tickets_asked = report.response_rates["ticket"]
    assert (tickets_asked.sent, tickets_asked.answered) == (6, 5)
    assert tickets_asked.rate == pytest.approx(500 / 6)
    # Questionnaire q4: 7 invited, 5 answered.
    questionnaire = report.response_rates["campaign"]
    assert (questionnaire.sent, questionnaire.answered) == (7, 5)


async def test_nps_and_response_rates_below_hq_follow_the_invitations_project(
    sessionmaker, world, period
) -> None:
    async with sessionmaker() as session:
        sunshine_scope, plaza_scope = (
            await _scope(session, "sunshine"),
            await _scope(session, "plaza"),
        )
        sunshine = await sat.nps(session, sunshine_scope, period)
        plaza = await sat.nps(session, plaza_scope, period)
        sunshine_rates = await sat.response_rates(session, sunshine_scope, period)
        plaza_rates = await sat.response_rates(session, plaza_scope, period)
    assert (sunshine.responses, sunshine.score) == (3, 100.0)  # 10, 9, 9
    assert (plaza.responses, plaza.promoters, plaza.detractors) == (2, 0, 1)  # 7, 3
    assert plaza.score == pytest.approx(-50.0)
    assert (sunshine_rates["ticket"].sent, sunshine_rates["ticket"].answered) == (4, 3)
    assert (sunshine_rates["campaign"].sent, sunshine_rates["campaign"].answered) == (4, 3)
    assert (plaza_rates["ticket"].sent, plaza_rates["ticket"].answered) == (2, 2)
    assert (plaza_rates["campaign"].sent, plaza_rates["campaign"].answered) == (3, 2)


async def test_lowest_ratings_come_with_the_raters_comment(sessionmaker, world, period) -> None:
    async with sessionmaker() as session:
        low = await sat.lowest_ratings(session, await _scope(session, "hq"), period)
    assert [(r.number, r.score, r.comment) for r in low] == [
        (world.tickets["P2"].number, 1, "still broken"),
        (world.tickets["S2"].number, 2, "too slow <b>really</b>"),
        (world.tickets["P1"].number, 3, None),
    ]


async def test_repeat_complaints_same_unit_same_category(sessionmaker, world, period) -> None:
    report = await _report(sessionmaker, "hq", period)
    assert report.repeats == [RepeatComplaint("阳光花园", "1-101", "water", 3, "sunshine")]


async def test_project_table_for_region_and_hq(sessionmaker, world, period) -> None:
    report = await _report(sessionmaker, "east", period, with_project_medians=True)
    rows = {row.key: row for row in report.projects}
    assert set(rows) == {"sunshine", "plaza"}
    sunshine, plaza = rows["sunshine"], rows["plaza"]
    assert (sunshine.volume.opened, sunshine.volume.resolved, sunshine.volume.open_now) == (6, 3, 3)
    assert (plaza.volume.opened, plaza.volume.resolved, plaza.volume.open_now) == (2, 2, 0)
    assert sunshine.volume.overdue_now == 1
    assert sunshine.volume.response == Compliance(2, 2)
    assert plaza.volume.resolution == Compliance(1, 1)
    assert sunshine.satisfaction.csat == pytest.approx(200 / 3)
    assert plaza.satisfaction.mean == pytest.approx(2.0)
    assert sunshine.first_response.median == pytest.approx(1 * HOUR)  # 0.5 h, 1 h, 29 h


async def test_project_scope_has_no_project_table(sessionmaker, world, period) -> None:
    report = await _report(sessionmaker, "sunshine", period)
    assert report.projects == []
    assert (report.totals.opened, report.totals.resolved) == (6, 3)
    assert report.satisfaction.ratings == 3


async def test_staff_table(sessionmaker, world, period) -> None:
    report = await _report(sessionmaker, "hq", period)
    rows = {row.name: row for row in report.staff}
    assert list(rows) == ["王芳", "周杰"]
    agent, plaza_agent = rows["王芳"], rows["周杰"]
    assert agent.handled == 3  # S1 S2 S5
    assert agent.on_time == Compliance(1, 2)
    assert agent.first_response.median == pytest.approx(1 * HOUR)  # 0.5 h, 1 h, 29 h
    assert agent.satisfaction.csat == pytest.approx(200 / 3)  # 5, 4, 2
    assert plaza_agent.handled == 2
    assert plaza_agent.on_time.rate == pytest.approx(50.0)
    assert plaza_agent.satisfaction.csat == 0.0


async def test_daily_series_buckets_by_local_day(sessionmaker, world, period) -> None:
    report = await _report(sessionmaker, "hq", period)
    assert [p.day for p in report.daily] == [date(2026, 11, d) for d in range(4, 11)]
    opened = {p.day.day: p.opened for p in report.daily if p.opened}
    resolved = {p.day.day: p.resolved for p in report.daily if p.resolved}
    assert opened == {5: 7, 9: 1}
    # P1 was resolved at 22:00 UTC on the 5th: the 6th in Shanghai.
    assert resolved == {5: 2, 6: 1, 7: 2}
    fifth = next(p for p in report.daily if p.day.day == 5)
    assert fifth.response == Compliance(4, 2)


async def test_month_and_range_periods(sessionmaker, world, org_file) -> None:
    zone = load_organisation(org_file).zone()
    async with sessionmaker() as session:
        hq = await _scope(session, "hq")
        october = await build_report(session, hq, parse_period("2026-10", NOW, zone), NOW)
        span = await build_report(
            session, hq, parse_period("2026-11-01..2026-11-05", NOW, zone), NOW
        )
    assert (october.totals.opened, october.totals.resolved) == (1, 1)  # S0
    assert october.satisfaction.ratings == 1
    # 1–5 Nov (local): S5 (created 1 Nov 10:00) and everything of T0 on the 5th.
    assert span.totals.opened == 8
    assert span.totals.resolved == 2  # S5 and S1; P1 is the 6th local


async def test_a_period_without_tickets_has_no_figures(sessionmaker, world, org_file) -> None:
    zone = load_organisation(org_file).zone()
    async with sessionmaker() as session:
        hq = await _scope(session, "hq")
        report = await build_report(session, hq, parse_period("2026-09", NOW, zone), NOW)
    assert (report.totals.opened, report.totals.resolved) == (0, 0)
    assert report.totals.open_now == 3  # "open now" does not depend on the period
    assert report.first_response.median is None and report.resolution_time.p90 is None
    assert report.totals.response.rate is None and report.satisfaction.csat is None
    assert report.nps.score is None and report.response_rates["ticket"].rate is None
    assert report.escalations == [] and report.repeats == []
    assert len(report.daily) == 30 and not any(p.opened for p in report.daily)


async def test_daily_series_across_a_daylight_saving_change(sessionmaker, world) -> None:
    berlin = ZoneInfo("Europe/Berlin")
    async with sessionmaker() as session, session.begin():
        s1 = world.tickets["S1"]
        for name, created in (
            ("late on the 25th", datetime(2026, 10, 25, 22, 30, tzinfo=UTC)),  # 23:30 CET
            ("early on the 26th", datetime(2026, 10, 25, 23, 30, tzinfo=UTC)),  # 00:30 CET
        ):
            session.add(
                Ticket(
                    number=f"DST-{created.hour}",
                    project_id=s1.project_id,
                    seq=100 + created.hour,
                    kind=TicketKind.INQUIRY,
                    status=TicketStatus.NEW,
                    description=name,
                    created_at=created,
                )
            )
    period = parse_period("2026-10-24..2026-10-26", NOW, berlin)
    async with sessionmaker() as session:
        report = await build_report(session, await _scope(session, "hq"), period, NOW)
    assert [(p.day.day, p.opened) for p in report.daily] == [(24, 0), (25, 1), (26, 1)]


async def test_percentiles_of_several_groupings_in_one_go(sessionmaker, world, period) -> None:
    async with sessionmaker() as session:
        found = await tickets.first_response_times(
            session, await _scope(session, "hq"), period, by_staff=True, by_project=True
        )
    assert found["all"][None].median == pytest.approx(1 * HOUR)
    assert found["staff"][world.agent_id].count == 3
    assert found["staff"][world.plaza_agent_id].p90 == pytest.approx(1 * HOUR)
    assert found["project"][world.plaza_id].count == 2
    assert found["project"][world.sunshine_id].p90 == pytest.approx(23.4 * HOUR)  # 1 + .8 × 28


@pytest.mark.parametrize("key", ["hq", "plaza"])
async def test_the_report_read_in_two_sessions_side_by_side_is_the_same(
    sessionmaker, world, period, key
) -> None:
    """As ``/stats`` reads it (``requests.report_in``): the two halves in two read-only
    sessions at once give the very report one session gives."""
    alone = await _report(sessionmaker, key, period, with_project_medians=True)
    async with read_only_sessions(sessionmaker, 2) as (session, beside):
        scope = await _scope(session, key)
        paired = await build_report(
            session, scope, period, NOW, with_project_medians=True, beside=beside
        )
    assert paired == alone
    assert paired.totals.opened and paired.staff


async def test_when_one_half_fails_the_other_is_stopped_and_the_error_raised(
    sessionmaker, world, period, monkeypatch
) -> None:
    async def broken(*_args, **_kwargs):
        raise ValueError("a broken query")

    monkeypatch.setattr(tickets, "resolution_times", broken)  # of the resolved half
    async with read_only_sessions(sessionmaker, 2) as (session, beside):
        scope = await _scope(session, "hq")
        with pytest.raises(ValueError, match="a broken query"):
            await build_report(session, scope, period, NOW, beside=beside)
    async with sessionmaker() as session:  # nothing was left running on the connections
        assert await session.scalar(select(func.count()).select_from(Ticket))
